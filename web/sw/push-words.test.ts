import { describe, expect, it } from "vitest";
import { newActivity, readWords, wordPush } from "./push-words.js";

describe("wordPush (the service worker's notification wording)", () => {
  it("words chats in English as the server does, picking one or many", () => {
    expect(wordPush({ key: "chat.direct", values: { count: 1, name: "Alice", preview: "hi" } }, "en")).toEqual({ title: "New message from Alice", body: "hi" });
    expect(wordPush({ key: "chat.direct", values: { count: 3, name: "Alice", preview: "third" } }, "en")).toEqual({ title: "3 new messages from Alice", body: "third" });
    expect(wordPush({ key: "chat.group", values: { count: 2, group: "Climbing", name: "Bob", preview: "ropes?" } }, "en")).toEqual({ title: "2 new messages in Climbing", body: "Bob: ropes?" });
    expect(wordPush({ key: "chat.group", values: { count: 1, group: "", name: "Bob", photo: 1, preview: "" } }, "en")).toEqual({ title: "New message in your group", body: "Bob: [Photo]" });
    expect(wordPush({ key: "chat.direct", values: { count: 1, name: "Alice", photo: 1, preview: "sunset" } }, "en")).toEqual({ title: "New message from Alice", body: "[Photo] sunset" });
  });

  it("words what the server sends back into the server's English (server/push/payload.test.ts has the same values)", () => {
    const cases: [unknown, { title: string; body: string }][] = [
      [{ key: "chat.direct", values: { count: 3, name: "Alice", preview: "third" } }, { title: "3 new messages from Alice", body: "third" }],
      [{ key: "chat.group", values: { count: 2, group: "Climbing", name: "Bob", photo: 1, preview: "top" } }, { title: "2 new messages in Climbing", body: "Bob: [Photo] top" }],
      [{ key: "chat.group", values: { count: 2, group: "Climbing", hidden: 1 } }, { title: "2 new messages in Climbing", body: "Open Courier to read them." }],
      [{ key: "chat.direct", values: { count: 1, name: "Alice", hidden: 1 } }, { title: "New message from Alice", body: "Open Courier to read it." }],
      [{ key: "chat.group", values: { count: 1, group: "", name: "Bob", preview: "hey" } }, { title: "New message in your group", body: "Bob: hey" }],
      [{ key: "order", values: { item: "Bike", name: "Sam", status: "shipped" } }, { title: "Order: Bike", body: "Sam marked it as shipped" }],
      [{ key: "order", values: { name: "Sam", status: "bought" } }, { title: "Order: your item", body: "Sam bought it" }],
      [{ key: "order", values: { hidden: 1 } }, { title: "Order update", body: "Open Courier for details." }],
      [{ key: "follow", values: { count: 4, name: "Alice", username: "alice" } }, { title: "4 new followers", body: "The latest: Alice (@alice)" }],
      [{ key: "follow", values: { count: 1, name: "Alice", username: "alice" } }, { title: "Alice started following you", body: "@alice" }],
    ];
    for (const [words, wording] of cases) expect(wordPush(words, "en"), JSON.stringify(words)).toEqual(wording);
  });

  it("words chats in Chinese", () => {
    expect(wordPush({ key: "chat.direct", values: { count: 1, name: "Alice", preview: "你好" } }, "zh")).toEqual({ title: "Alice发来一条新消息", body: "你好" });
    expect(wordPush({ key: "chat.direct", values: { count: 3, name: "Alice", preview: "第三条" } }, "zh")).toEqual({ title: "Alice发来 3 条新消息", body: "第三条" });
    expect(wordPush({ key: "chat.group", values: { count: 2, group: "攀岩", name: "Bob", preview: "绳子？" } }, "zh")).toEqual({ title: "“攀岩”有 2 条新消息", body: "Bob：绳子？" });
    expect(wordPush({ key: "chat.direct", values: { count: 1, name: "Alice", photo: 1, preview: "日落" } }, "zh")?.body).toBe("[图片] 日落");
  });

  it("says hidden previews with the plural English needs (Chinese has one form)", () => {
    expect(wordPush({ key: "chat.direct", values: { count: 1, name: "Alice", hidden: 1 } }, "en")?.body).toBe("Open Courier to read it.");
    expect(wordPush({ key: "chat.direct", values: { count: 2, name: "Alice", hidden: 1 } }, "en")?.body).toBe("Open Courier to read them.");
    expect(wordPush({ key: "chat.group", values: { count: 2, group: "Climbing", hidden: 1 } }, "en")).toEqual({ title: "2 new messages in Climbing", body: "Open Courier to read them." });
    expect(wordPush({ key: "chat.direct", values: { count: 1, name: "Alice", hidden: 1 } }, "zh")?.body).toBe("打开 Courier 查看。");
    expect(wordPush({ key: "chat.direct", values: { count: 5, name: "Alice", hidden: 1 } }, "zh")?.body).toBe("打开 Courier 查看。");
    expect(wordPush({ key: "order", values: { hidden: 1 } }, "zh")).toEqual({ title: "订单有新进展", body: "打开 Courier 查看详情。" });
    expect(wordPush({ key: "offer", values: { hidden: 1 } }, "en")).toEqual({ title: "Offer update", body: "Open Courier for details." });
  });

  it("words orders, offers (prices in the language's currency format), follows, recalls and deletes", () => {
    expect(wordPush({ key: "order", values: { item: "Bike", name: "Sam", status: "shipped" } }, "en")).toEqual({ title: "Order: Bike", body: "Sam marked it as shipped" });
    expect(wordPush({ key: "order", values: { name: "Sam", status: "received" } }, "zh")).toEqual({ title: "订单：你的宝贝", body: "Sam已确认收货" });
    expect(wordPush({ key: "offer", values: { item: "Bike", name: "Bob", step: "countered", priceCents: 4500 } }, "en")).toEqual({ title: "Offer: Bike", body: "Bob countered with $45.00" });
    const zh = wordPush({ key: "offer", values: { item: "自行车", name: "Bob", step: "accepted", priceCents: 4500 } }, "zh");
    expect(zh?.title).toBe("出价：自行车");
    expect(zh?.body).toBe(`Bob接受了你 ${new Intl.NumberFormat("zh-CN", { style: "currency", currency: "USD" }).format(45)} 的出价`);
    expect(wordPush({ key: "follow", values: { count: 1, name: "Alice", username: "alice" } }, "zh")).toEqual({ title: "Alice关注了你", body: "@alice" });
    expect(wordPush({ key: "follow", values: { count: 4, name: "Alice", username: "alice" } }, "en")).toEqual({ title: "4 new followers", body: "The latest: Alice (@alice)" });
    expect(wordPush({ key: "recall", values: { name: "Ann" } }, "zh")).toEqual({ title: "Ann", body: "Ann撤回了一条消息" });
    expect(wordPush({ key: "recall", values: { name: "Ann", group: "" } }, "zh")).toEqual({ title: "你的群聊", body: "Ann撤回了一条消息" });
    expect(wordPush({ key: "recall", values: { name: "Ann", group: "Climbing" } }, "en")).toEqual({ title: "Climbing", body: "Ann recalled a message" });
    expect(wordPush({ key: "hide", values: {} }, "zh")?.body).toBe("消息已删除");
    expect(newActivity("zh")).toBe("你有新动态。");
    expect(newActivity("en")).toBe("You have new activity.");
  });

  it("gives null for words it cannot read (the worker then shows the payload's title and body)", () => {
    for (const bad of [
      undefined,
      null,
      "chat.direct",
      { key: "nope", values: {} },
      { key: "chat.direct" },
      { key: "chat.direct", values: [] },
      { key: "chat.direct", values: { name: { evil: 1 } } },
      { key: "chat.direct", values: { count: 1 } },
      { key: "order", values: { name: "Sam", status: "teleported" } },
      { key: "offer", values: { name: "Bob", step: "offered" } },
      { key: "follow", values: { name: "Alice" } },
      { key: "__proto__", values: {} },
    ]) {
      expect(wordPush(bad, "zh"), JSON.stringify(bad)).toBeNull();
    }
    expect(readWords({ key: "hide", values: { n: Number.NaN } })).toBeNull();
  });
});
