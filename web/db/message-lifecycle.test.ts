import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConsumerRegistry } from "../../shared/sync/consumers.js";
import type { Entry } from "../../shared/protocol/index.js";
import { storePage } from "../features/conversation/history.js";
import { applyOwnChange, registerConsumers } from "./consumers.js";
import { CourierDb } from "./database.js";
import { DexieSyncStore } from "./store.js";
import { convEntry, entry, ME, message, msgEntry, PEER, resetVersions, summary } from "./test-fixtures.js";

/**
 * Recall and delete for me on this device (issue 13): whatever order the
 * recall, the hide and the copies of the message arrive in (entries of one
 * batch, later batches, history pages), the text is gone for good and the
 * conversation's preview follows.
 */
let db: CourierDb;
let store: DexieSyncStore;

beforeEach(async () => {
  resetVersions();
  db = new CourierDb(`lifecycle-${crypto.randomUUID()}`);
  await db.open();
  const registry = new ConsumerRegistry();
  registerConsumers(registry, db, ME);
  store = new DexieSyncStore(db, registry, ME);
});

afterEach(async () => {
  await db.delete();
});

async function apply(...entries: Entry[]): Promise<void> {
  await store.apply("chat", entries, entries.at(-1)!.v);
}

const secret = (seq: number, over = {}) => message("c1", seq, { body: `secret ${seq}`, ...over });
const recallOf = (m: ReturnType<typeof message>) => entry("recall", { conversationId: m.conversationId, messageId: m.id, seq: m.seq, by: m.senderId, at: m.at + 5 });
const hideOf = (m: ReturnType<typeof message>) => entry("hide", { conversationId: m.conversationId, messageId: m.id });

/** Every stored row and summary, as text: no message text may be found in it. */
async function everything(): Promise<string> {
  return JSON.stringify([await db.messages.toArray(), await db.conversations.toArray()]);
}

describe("recall", () => {
  it("clears the text from the row and from the conversation's preview", async () => {
    const m = secret(1);
    await apply(convEntry(summary("c1")), msgEntry(m));
    expect((await db.conversations.get("c1"))?.lastMessage?.body).toBe("secret 1");

    await apply(recallOf(m));

    expect(await db.messages.get(m.id)).toMatchObject({ recalled: true, body: "", seq: 1, senderId: PEER });
    expect((await db.conversations.get("c1"))?.lastMessage).toMatchObject({ id: m.id, recalled: true, body: "" });
    expect(await everything()).not.toContain("secret");
  });

  it("before the message: a tombstone in its place, and the copy that comes later (same batch or later) brings no text", async () => {
    const m = secret(2);
    await apply(convEntry(summary("c1")), recallOf(m));
    expect(await db.messages.get(m.id)).toMatchObject({ recalled: true, body: "", seq: 2, conversationId: "c1" });

    await apply(msgEntry(m));
    expect(await db.messages.get(m.id)).toMatchObject({ recalled: true, body: "", at: m.at, clientMsgId: m.clientMsgId });

    const n = secret(3);
    await apply(recallOf(n), msgEntry(n));
    expect(await db.messages.get(n.id)).toMatchObject({ recalled: true, body: "" });
    expect((await db.conversations.get("c1"))?.lastMessage).toMatchObject({ id: n.id, recalled: true, body: "" });
    expect(await everything()).not.toContain("secret");
  });

  it("during a pull: a history page read before the recall and written after it brings no text", async () => {
    const m = secret(4);
    await apply(convEntry(summary("c1")), recallOf(m));
    await storePage(db, [secret(3), m]);
    expect(await db.messages.get(m.id)).toMatchObject({ recalled: true, body: "" });
    expect((await db.messages.get("c1-m3"))?.body).toBe("secret 3");
  });

  it("a history page with the server's tombstone clears a copy held with text", async () => {
    const m = secret(1);
    await apply(convEntry(summary("c1")), msgEntry(m));
    await storePage(db, [{ ...m, body: "", recalled: true }]);
    expect(await db.messages.get(m.id)).toMatchObject({ recalled: true, body: "" });
  });

  it("my own recall, applied when the server answers, stays when older entries with the text come in after it", async () => {
    const m = secret(1, { senderId: ME });
    await apply(convEntry(summary("c1")));
    await applyOwnChange(db, ME, { k: "recall", data: { conversationId: "c1", messageId: m.id, seq: 1, by: ME, at: 9_000 } });
    // Entries from before the recall, pulled only now.
    await apply(msgEntry(m), convEntry(summary("c1", { lastMessage: m, conversation: { ...summary("c1").conversation, lastSeq: 1 } })));

    expect(await db.messages.get(m.id)).toMatchObject({ recalled: true, body: "" });
    expect((await db.conversations.get("c1"))?.lastMessage).toMatchObject({ recalled: true, body: "" });
    expect(await everything()).not.toContain("secret");
  });
});

describe("delete for me", () => {
  it("hides the row, and the preview becomes the newest message left", async () => {
    const [a, b] = [secret(1), secret(2)];
    await apply(convEntry(summary("c1")), msgEntry(a), msgEntry(b));

    await apply(hideOf(b));

    expect(await db.messages.get(b.id)).toMatchObject({ hidden: true, body: "" });
    expect((await db.conversations.get("c1"))?.lastMessage?.id).toBe(a.id);
    expect(await everything()).not.toContain("secret 2");
  });

  it("the last message left: no preview", async () => {
    const a = secret(1);
    await apply(convEntry(summary("c1")), msgEntry(a), hideOf(a));
    expect((await db.conversations.get("c1"))?.lastMessage).toBeNull();
  });

  it("a copy with text (stale pull, history page) cannot bring it back; the server's hidden copy of one never held stays hidden", async () => {
    const a = secret(1);
    const b = secret(2);
    await apply(convEntry(summary("c1")), msgEntry(a), hideOf(b));
    expect(await db.messages.get(b.id)).toMatchObject({ hidden: true, body: "" });

    await apply(msgEntry(b));
    await storePage(db, [a, b]);
    expect(await db.messages.get(b.id)).toMatchObject({ hidden: true, body: "", seq: 2 });
    expect((await db.conversations.get("c1"))?.lastMessage?.id).toBe(a.id);

    const c = secret(3);
    await apply(msgEntry({ ...c, body: "", hidden: true }));
    expect(await db.messages.get(c.id)).toMatchObject({ hidden: true, body: "" });
    expect((await db.conversations.get("c1"))?.lastMessage?.id).toBe(a.id);
    expect(await everything()).not.toMatch(/secret [23]/);
  });

  it("a hidden message does not count as unread", async () => {
    await apply(convEntry(summary("c1")), msgEntry({ ...secret(1), body: "", hidden: true }), msgEntry(secret(2)));
    expect((await db.conversations.get("c1"))?.unread).toBe(1);
  });
});

describe("a catch-up page (runs of seqs read as ranges)", () => {
  it("a recall or a delete for me held from an earlier batch stays when the page brings the copies; rows held with text are kept", async () => {
    const page = Array.from({ length: 40 }, (_, i) => secret(i + 1));
    const [held, recalled, hidden, other] = [page[4]!, page[9]!, page[19]!, message("c2", 7, { body: "elsewhere" })];
    await apply(convEntry(summary("c1")), convEntry(summary("c2")), msgEntry(held), recallOf(recalled), hideOf(hidden), msgEntry(other));
    expect(await db.messages.get(hidden.id)).toMatchObject({ hidden: true, seq: 0 });

    // The page: every message of c1 in seq order, and c2's neighbours of the one held.
    const c2 = Array.from({ length: 12 }, (_, i) => message("c2", i + 1, { body: `c2 ${i + 1}` }));
    await apply(...page.map((m) => msgEntry(m)), ...c2.map((m) => msgEntry(m)));

    expect(await db.messages.get(recalled.id)).toMatchObject({ recalled: true, body: "", clientMsgId: recalled.clientMsgId });
    expect(await db.messages.get(hidden.id)).toMatchObject({ hidden: true, body: "", seq: 20 });
    expect(await db.messages.get(held.id)).toMatchObject({ body: "secret 5" });
    expect(await everything()).not.toMatch(/secret (10|20)"/);
    // One row per message: the tombstone at seq 0 was replaced, not doubled.
    expect(await db.messages.where("[conversationId+seq]").between(["c1", 0], ["c1", 100], true, true).count()).toBe(40);
    expect(await db.messages.where("[conversationId+seq]").between(["c2", 0], ["c2", 100], true, true).count()).toBe(12);
    const c1 = await db.conversations.get("c1");
    expect(c1?.lastMessage?.id).toBe(page[39]!.id);
    // Seq 5 counted when it came, then 6–40 but the hidden one (20); the recalled one counts, as in a smaller batch.
    expect(c1?.unread).toBe(35);
  });
});

describe("the hooks that reach the service worker", () => {
  it("tell of each recall and each delete for me, with the message they name", async () => {
    const heard: string[] = [];
    const registry = new ConsumerRegistry();
    registerConsumers(registry, db, ME, {
      onRecalled: (r) => heard.push(`recall ${r.messageId}`),
      onHidden: (h) => heard.push(`hide ${h.messageId}`),
    });
    const hooked = new DexieSyncStore(db, registry, ME);
    const [a, b] = [secret(1), secret(2)];
    await hooked.apply("chat", [convEntry(summary("c1")), msgEntry(a), msgEntry(b), recallOf(a), hideOf(b)], 5);
    expect(heard).toEqual([`recall ${a.id}`, `hide ${b.id}`]);
  });
});
