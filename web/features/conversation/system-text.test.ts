import { describe, expect, it } from "vitest";
import { i18n } from "../../i18n/index.js";
import { systemText } from "./system-text.js";

const ME = "u-me";
const PEER = "u-peer";

describe("systemText", () => {
  it("rewrites the known order phrases when I am the actor", () => {
    expect(systemText("Bob 🚲 bought “Green bike”", ME, ME, "Bob 🚲")).toBe("You bought “Green bike”");
    expect(systemText("Alice marked the order as shipped", ME, ME, "Alice")).toBe("You marked the order as shipped");
    expect(systemText("Bob confirmed receipt", ME, ME, "Bob")).toBe("You confirmed receipt");
  });

  it("rewrites cancelling and accepting an offer when I am the actor (issue 14)", () => {
    expect(systemText("Bob cancelled the order: “It broke”", ME, ME, "Bob")).toBe("You cancelled the order: “It broke”");
    expect(systemText("Ann cancelled the order", ME, ME, "Ann")).toBe("You cancelled the order");
    expect(systemText("Ann accepted the counter-offer and bought “Bike” for 45.00", ME, ME, "Ann")).toBe("You accepted the counter-offer and bought “Bike” for $45.00");
    expect(systemText("Bob accepted the offer: Ann bought “Bike” for 40.00", ME, ME, "Bob")).toBe("You accepted the offer: Ann bought “Bike” for $40.00");
    // The buyer reads it about herself, and every price with its currency, as the app writes prices.
    expect(systemText("Bob accepted the offer: Ann bought “Bike” for 1234.50", PEER, ME, "Ann")).toBe("Bob accepted the offer: you bought “Bike” for $1,234.50");
    expect(systemText("Bob accepted the offer: Ann bought “Bike” for 40.00", PEER, ME, "Cy")).toBe("Bob accepted the offer: Ann bought “Bike” for $40.00");
    // A price written some other way (a newer server) stays as it came.
    expect(systemText("Bob accepted the offer: Ann bought “Bike” for €40", PEER, ME, "Cy")).toBe("Bob accepted the offer: Ann bought “Bike” for €40");
    expect(systemText("Bob cancelled the order: “It broke”", PEER, ME, "Ann")).toBe("Bob cancelled the order: “It broke”");
  });

  it("leaves other people's steps as they are", () => {
    expect(systemText("Bob bought “Green bike”", PEER, ME, "Bob")).toBe("Bob bought “Green bike”");
    expect(systemText("Alice marked the order as shipped", PEER, ME)).toBe("Alice marked the order as shipped");
  });

  it("works when my name has changed since (or is unknown)", () => {
    expect(systemText("Old Name bought “Lamp”", ME, ME, "New Name")).toBe("You bought “Lamp”");
    expect(systemText("Bob confirmed receipt", ME, ME)).toBe("You confirmed receipt");
  });

  it("keeps titles that contain the phrase words intact", () => {
    expect(systemText("Bob bought “I bought “this” once”", ME, ME, "Bob")).toBe("You bought “I bought “this” once”");
    expect(systemText("Dr bought Jr bought “X”", ME, ME, "Dr bought Jr")).toBe("You bought “X”");
    expect(systemText("Bob bought “multi\nline”", ME, ME, "Bob")).toBe("You bought “multi\nline”");
  });

  it("rewrites group changes for the one who made them, and for the one added or removed", () => {
    expect(systemText("Ann added Bob and Cy", ME, ME, "Ann")).toBe("You added Bob and Cy");
    expect(systemText("Ann removed Bob", ME, ME, "Ann")).toBe("You removed Bob");
    expect(systemText("Bob left", ME, ME, "Bob")).toBe("You left");
    expect(systemText("Ann renamed the group to “Trip left”", ME, ME, "Ann")).toBe("You renamed the group to “Trip left”");
    expect(systemText("Ann added Bob", PEER, ME, "Bob")).toBe("Ann added you");
    expect(systemText("Ann removed Bob", PEER, ME, "Bob")).toBe("Ann removed you");
    expect(systemText("Ann added Bobby", PEER, ME, "Bob")).toBe("Ann added Bobby");
    expect(systemText("Bob left", PEER, ME, "Ann")).toBe("Bob left");
  });

  it("shows unknown system texts as they came", () => {
    expect(systemText("Bob joined the group", ME, ME, "Bob")).toBe("Bob joined the group");
    expect(systemText("Bob bought it", ME, ME, "Bob")).toBe("Bob bought it");
    expect(systemText("confirmed receipt", ME, ME)).toBe("confirmed receipt");
    expect(systemText("", ME, ME)).toBe("");
  });

  it("uses the sender's name when it is known, for others' lines too", () => {
    expect(systemText("Dr bought Jr bought “X”", PEER, ME, "Ann", "Dr bought Jr")).toBe("Dr bought Jr bought “X”");
    expect(systemText("Ann added Bob", PEER, ME, "Bob", "Ann")).toBe("Ann added you");
  });

  it("speaks Chinese: the phrases are read back into Chinese sentences; names, titles and reasons stay as written", async () => {
    await i18n.changeLanguage("zh");
    try {
      expect(systemText("Bob 🚲 bought “Green bike”", ME, ME, "Bob 🚲")).toBe("你购买了“Green bike”");
      expect(systemText("Bob bought “Green bike”", PEER, ME, "Ann")).toBe("Bob购买了“Green bike”");
      expect(systemText("Alice marked the order as shipped", PEER, ME)).toBe("Alice已发货");
      expect(systemText("Bob confirmed receipt", ME, ME, "Bob")).toBe("你已确认收货");
      expect(systemText("Bob cancelled the order: “It broke”", PEER, ME, "Ann")).toBe("Bob取消了订单：“It broke”");
      expect(systemText("Ann cancelled the order", ME, ME, "Ann")).toBe("你取消了订单");
      expect(systemText("Ann accepted the counter-offer and bought “Bike” for 45.00", ME, ME, "Ann")).toBe("你接受了还价，以 US$45.00 购买了“Bike”");
      expect(systemText("Bob accepted the offer: Ann bought “Bike” for 40.00", PEER, ME, "Ann")).toBe("Bob接受了出价：你以 US$40.00 购买了“Bike”");
      expect(systemText("Ann renamed the group to “Trip”", PEER, ME, "Bob")).toBe("Ann将群聊名称改为“Trip”");
      expect(systemText("Ann added Bob, Cy and Dan", ME, ME, "Ann")).toBe("你邀请Bob、Cy和Dan加入了群聊");
      expect(systemText("Ann added Bob", PEER, ME, "Bob")).toBe("Ann邀请你加入了群聊");
      expect(systemText("Ann removed Bob", PEER, ME, "Bob")).toBe("Ann将你移出了群聊");
      expect(systemText("Ann removed Bob", PEER, ME, "Cy")).toBe("Ann将Bob移出了群聊");
      expect(systemText("Bob left", PEER, ME, "Ann")).toBe("Bob退出了群聊");
      expect(systemText("Bob left", ME, ME, "Bob")).toBe("你退出了群聊");
      expect(systemText("Bob joined the group", ME, ME, "Bob")).toBe("Bob joined the group");
    } finally {
      await i18n.changeLanguage("en");
    }
  });
});
