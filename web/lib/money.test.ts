import { describe, expect, it } from "vitest";
import { checkPrice, formatPrice, parsePrice, PRICE_MAX_CENTS } from "./money.js";

describe("parsePrice", () => {
  it.each([
    ["12.50", 1250],
    ["12.5", 1250],
    ["12", 1200],
    ["12,50", 1250],
    ["$ 1,200.00", 120000],
    ["0", 0],
    ["free", 0],
    ["Free", 0],
    ["12.50 USD", 1250],
    ["100000000", PRICE_MAX_CENTS],
  ])("%s → %i cents", (text, cents) => expect(parsePrice(text)).toBe(cents));

  it.each(["", "abc", "12.505", "-3", "1.2.3"])("rejects %j", (text) => expect(parsePrice(text)).toBeNull());
});

describe("formatPrice", () => {
  it("shows 0 as Free", () => {
    expect(formatPrice(0, "en-US")).toBe("Free");
  });
  it("formats cents in the deployment's currency", () => {
    expect(formatPrice(1250, "en-US")).toBe("$12.50");
    expect(formatPrice(1, "en-US")).toBe("$0.01");
    expect(formatPrice(PRICE_MAX_CENTS, "en-US")).toBe("$100,000,000.00");
  });
});

describe("checkPrice", () => {
  it("accepts up to the server's maximum", () => {
    expect(checkPrice("100000000", "en-US")).toEqual({ ok: true, cents: PRICE_MAX_CENTS });
    expect(checkPrice("$100,000,000.00", "en-US")).toEqual({ ok: true, cents: PRICE_MAX_CENTS });
    expect(checkPrice("0", "en-US")).toEqual({ ok: true, cents: 0 });
    expect(checkPrice("free", "en-US")).toEqual({ ok: true, cents: 0 });
  });

  it.each(["100000000.01", "100000001", "99999999999999999", "999999999999999999999999"])("rejects %s as too high", (text) =>
    expect(checkPrice(text, "en-US")).toEqual({ ok: false, message: "Price must be at most $100,000,000.00" }),
  );

  it("explains other mistakes", () => {
    expect(checkPrice("", "en-US")).toMatchObject({ ok: false, message: expect.stringMatching(/Enter a price/) });
    expect(checkPrice("-3", "en-US")).toEqual({ ok: false, message: "The price can't be negative." });
    expect(checkPrice("abc", "en-US")).toEqual({ ok: false, message: "Enter a price like 12.50" });
    expect(checkPrice("12.505", "en-US")).toEqual({ ok: false, message: "Enter a price like 12.50" });
  });
});

describe("prices in Chinese", () => {
  it("formats and reads prices for a zh-CN reader", async () => {
    const { i18n } = await import("../i18n/index.js");
    await i18n.changeLanguage("zh");
    try {
      expect(formatPrice(0, "zh-CN")).toBe("免费");
      expect(formatPrice(1250, "zh-CN")).toBe("US$12.50");
      expect(parsePrice("免费")).toBe(0);
      expect(checkPrice("", "zh-CN")).toEqual({ ok: false, message: "请输入价格，免费赠送请填 0。" });
    } finally {
      await i18n.changeLanguage("en");
    }
  });
});
