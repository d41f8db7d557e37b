import { describe, expect, it } from "vitest";
import { PUSH_PAYLOAD_MAX_BYTES, type PushPayload, pushPayloadSchema } from "../../shared/protocol/index.js";
import type { PushConversation } from "../storage/push-types.js";
import { chatPayload, encodePayload, followPayload, offerPayload, orderPayload, truncateCodePoints } from "./payload.js";
import { CATEGORY_POLICY, topicFor } from "./policy.js";

const direct: PushConversation = { type: "direct", title: null, itemTitle: null, muted: false, readSeq: 0 };
const group: PushConversation = { type: "group", title: "Climbing", itemTitle: null, muted: false, readSeq: 0 };
const common = (count: number, hidePreviews = false) => ({ id: "n-1", count, at: 1000, hidePreviews });

describe("payload wording", () => {
  it("says who wrote and how many, with the newest text and a deep link", () => {
    expect(chatPayload(common(1), "c1", direct, { senderName: "Alice", body: " hi " })).toEqual({
      category: "chat",
      title: "New message from Alice",
      body: "hi",
      conversationId: "c1",
      url: "/#/c/c1",
      count: 1,
      at: 1000,
      tag: "c:c1",
      id: "n-1",
      words: { key: "chat.direct", values: { count: 1, name: "Alice", preview: "hi" } },
    });
    expect(chatPayload(common(3), "c1", direct, { senderName: "Alice", body: "third" })).toMatchObject({ title: "3 new messages from Alice", body: "third" });
    expect(chatPayload(common(2), "g1", group, { senderName: "Bob", body: "ropes?" })).toMatchObject({ title: "2 new messages in Climbing", body: "Bob: ropes?" });
  });

  it("hides the text when the user hides previews", () => {
    const p = chatPayload(common(2, true), "g1", group, { senderName: "Bob", body: "the secret" });
    expect(p.body).toBe("Open Courier to read them.");
    expect(JSON.stringify(p)).not.toContain("secret");
    const o = orderPayload(common(1, true), { id: "o", itemId: "i", conversationId: "c", buyerId: "b", sellerId: "s", status: "shipped", at: 1 }, "Bike", "Sam");
    expect(o).toMatchObject({ title: "Order update", body: "Open Courier for details.", url: "/#/c/c" });
  });

  it("words follows and bursts of them", () => {
    const alice = { id: "u1", username: "alice", displayName: "Alice" };
    expect(followPayload(common(1), alice)).toMatchObject({ category: "follow", title: "Alice started following you", body: "@alice", url: "/#/" });
    expect(followPayload(common(4), alice)).toMatchObject({ title: "4 new followers" });
  });

  it("caps a long preview at a few hundred code points", () => {
    const p = chatPayload(common(1), "c1", direct, { senderName: "Alice", body: "x".repeat(4000) });
    expect(Array.from(p.body)).toHaveLength(301);
    expect(p.body.endsWith("…")).toBe(true);
  });
});

describe("payload words (for a service worker that words it in its page's language)", () => {
  const order = { id: "o", itemId: "i", conversationId: "c", buyerId: "b", sellerId: "s", status: "shipped" as const, at: 1 };
  const offer = { id: "of", itemId: "i", conversationId: "c", buyerId: "b", sellerId: "s", priceCents: 4500, status: "open" as const, at: 1, counterOf: "of0" };
  const alice = { id: "u1", username: "alice", displayName: "Alice" };

  it("sets words for every builder, in the schema", () => {
    const payloads = [
      chatPayload(common(3), "c1", direct, { senderName: "Alice", body: "third" }),
      chatPayload(common(2), "g1", group, { senderName: "Bob", body: "[Photo] top", photoCaption: "top" }),
      orderPayload(common(1), order, "Bike", "Sam"),
      offerPayload(common(1), offer as never, "Bike", "Bob"),
      followPayload(common(4), alice),
    ];
    expect(payloads.map((p) => pushPayloadSchema.parse(p).words)).toEqual([
      { key: "chat.direct", values: { count: 3, name: "Alice", preview: "third" } },
      { key: "chat.group", values: { count: 2, group: "Climbing", name: "Bob", photo: 1, preview: "top" } },
      { key: "order", values: { item: "Bike", name: "Sam", status: "shipped" } },
      { key: "offer", values: { item: "Bike", name: "Bob", step: "countered", priceCents: 4500 } },
      { key: "follow", values: { count: 4, name: "Alice", username: "alice" } },
    ]);
    // web/sw/push-words.test.ts words these values back into the same English (and into Chinese).
  });

  it("never puts the text in words when previews are hidden", () => {
    const chat = chatPayload(common(2, true), "g1", group, { senderName: "Bob", body: "the secret", photoCaption: "the secret" });
    expect(chat.words).toEqual({ key: "chat.group", values: { count: 2, group: "Climbing", hidden: 1 } });
    const direct1 = chatPayload(common(1, true), "c1", direct, { senderName: "Alice", body: "the secret" });
    expect(direct1.words).toEqual({ key: "chat.direct", values: { count: 1, name: "Alice", hidden: 1 } });
    const o = orderPayload(common(1, true), order, "Secret bike", "Sam");
    expect(o.words).toEqual({ key: "order", values: { hidden: 1 } });
    expect(JSON.stringify([chat, direct1, o])).not.toMatch(/secret/i);
  });

  it("an untitled group and an item without a title", () => {
    const untitled: PushConversation = { ...group, title: " " };
    const p = chatPayload(common(1), "g1", untitled, { senderName: "Bob", body: "hey" });
    expect(p.words).toEqual({ key: "chat.group", values: { count: 1, group: "", name: "Bob", preview: "hey" } });
    const o = orderPayload(common(1), { ...order, status: "bought" }, null, "Sam");
    expect(o.words).toEqual({ key: "order", values: { name: "Sam", status: "bought" } });
  });
});

describe("payload trimming", () => {
  const base: PushPayload = chatPayload(common(1), "c1", direct, { senderName: "Alice", body: "" });

  it("leaves a payload that fits untouched", () => {
    expect(JSON.parse(encodePayload({ ...base, body: "short" }))).toEqual({ ...base, body: "short" });
  });

  it("cuts the body on a code point boundary, never inside a surrogate pair, to fit the byte limit", () => {
    // 4-byte UTF-8 emoji (surrogate pairs in JS) and 3-byte CJK, far over the limit.
    const body = "😀漢".repeat(2000);
    for (const max of [PUSH_PAYLOAD_MAX_BYTES, 500, 301, 300, 299]) {
      const json = encodePayload({ ...base, body }, max);
      expect(Buffer.byteLength(json), String(max)).toBeLessThanOrEqual(max);
      const parsed = pushPayloadSchema.parse(JSON.parse(json));
      expect(parsed.body.endsWith("…")).toBe(true);
      expect(body.startsWith(parsed.body.slice(0, -1))).toBe(true);
      // No lone surrogate: every code point round-trips through UTF-8.
      expect(Buffer.from(parsed.body, "utf8").toString("utf8")).toBe(parsed.body);
      expect(parsed.body).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      // And it is the longest body that fits: one more code point would not.
      const points = Array.from(parsed.body.slice(0, -1));
      const longer = { ...parsed, body: truncateCodePoints(body, points.length + 1) };
      expect(Buffer.byteLength(JSON.stringify(longer))).toBeGreaterThan(max);
    }
  });

  it("cuts the preview in words along with the body: a long CJK preview (3 bytes a character) still fits", () => {
    const text = "漢字".repeat(150);
    const name = "张三".repeat(20);
    const p = chatPayload(common(2), "g1", { ...group, title: "攀岩".repeat(150) }, { senderName: name, body: text });
    expect(Buffer.byteLength(JSON.stringify(p))).toBeGreaterThan(PUSH_PAYLOAD_MAX_BYTES);
    for (const max of [PUSH_PAYLOAD_MAX_BYTES, 2800]) {
      const json = encodePayload(p, max);
      expect(Buffer.byteLength(json), String(max)).toBeLessThanOrEqual(max);
      const parsed = pushPayloadSchema.parse(JSON.parse(json));
      expect(parsed.words?.key).toBe("chat.group");
      const preview = String(parsed.words?.values.preview);
      expect(preview.endsWith("…")).toBe(true);
      expect(text.startsWith(preview.slice(0, -1))).toBe(true);
      expect(parsed.body.startsWith(`${name}: 漢字`)).toBe(true);
      expect(parsed.body.endsWith("…")).toBe(true);
      expect(parsed.title).toBe(p.title);
    }
  });

  it("leaves words out before cutting the title (the worker then shows the English)", () => {
    const p = { ...chatPayload(common(1), "c1", direct, { senderName: "N".repeat(2000), body: "b" }), title: "T".repeat(2000) };
    const parsed = JSON.parse(encodePayload(p, 2500)) as PushPayload;
    expect(parsed.words).toBeUndefined();
    expect(parsed.title).toBe("T".repeat(2000));
  });

  it("counts JSON escaping (quotes, control characters) against the limit", () => {
    const json = encodePayload({ ...base, body: '"\n'.repeat(3000) }, 1000);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(1000);
  });

  it("cuts the title too when the body alone cannot make room", () => {
    const json = encodePayload({ ...base, title: "T".repeat(5000), body: "b".repeat(5000) }, 600);
    const parsed = JSON.parse(json) as PushPayload;
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(600);
    expect(parsed.body).toBe("");
    expect(parsed.title.endsWith("…")).toBe(true);
  });

  it("truncates by code points", () => {
    expect(truncateCodePoints("😀😀😀", 2)).toBe("😀😀…");
    expect(truncateCodePoints("abc", 3)).toBe("abc");
  });
});

describe("category policy", () => {
  it("maps categories to urgency and TTL, and collapse keys to short opaque topics", () => {
    expect(CATEGORY_POLICY.chat).toEqual({ urgency: "high", ttlSeconds: 86_400 });
    expect(CATEGORY_POLICY.order.urgency).toBe("high");
    expect(CATEGORY_POLICY.follow.urgency).toBe("normal");
    expect(CATEGORY_POLICY.marketing).toEqual({ urgency: "very-low", ttlSeconds: 604_800 });
    const topic = topicFor("c:6f1c2a4e-0000-4000-8000-000000000000");
    expect(topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(topicFor("c:6f1c2a4e-0000-4000-8000-000000000000")).toBe(topic);
    expect(topicFor("c:another")).not.toBe(topic);
  });
});
