import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConsumerRegistry } from "../../shared/sync/consumers.js";
import { SyncEngine } from "../../shared/sync/engine.js";
import type { Entry, PullRequest, PullResponse } from "../../shared/protocol/index.js";
import { Api } from "../api/client.js";
import { Http } from "../api/http.js";
import { registerConsumers } from "./consumers.js";
import { CourierDb } from "./database.js";
import { enqueue } from "./outbox.js";
import { markRead } from "../features/conversation/read-marker.js";
import type { Session } from "../session.js";
import { DexieSyncStore } from "./store.js";
import { convEntry, entry, ME, message, msgEntry, PEER, resetVersions, summary } from "./test-fixtures.js";

let db: CourierDb;
let registry: ConsumerRegistry;
let store: DexieSyncStore;
const missing: string[] = [];

beforeEach(async () => {
  resetVersions();
  missing.length = 0;
  db = new CourierDb(`test-${crypto.randomUUID()}`);
  await db.open();
  registry = new ConsumerRegistry();
  registerConsumers(registry, db, ME, { onMissingSummary: (id) => missing.push(id) });
  store = new DexieSyncStore(db, registry, ME);
});

afterEach(async () => {
  await db.delete();
});

/** Applies entries as the engine would: one contiguous run, version = last. */
async function apply(...entries: Entry[]): Promise<void> {
  await store.apply(entries[0]!.d, entries, entries.at(-1)!.v);
}

describe("DexieSyncStore.apply", () => {
  it("writes a batch of messages and advances the version together", async () => {
    await apply(convEntry(summary("c1")), msgEntry(message("c1", 1)), msgEntry(message("c1", 2)), msgEntry(message("c1", 3)));

    expect(await db.messages.where("conversationId").equals("c1").count()).toBe(3);
    expect(await store.loadVersions()).toEqual({ chat: 4, system: 0, marketing: 0 });
    const s = await db.conversations.get("c1");
    expect(s?.lastMessage?.seq).toBe(3);
    expect(s?.conversation.lastSeq).toBe(3);
  });

  it("leaves messages and version unchanged when a consumer throws", async () => {
    await apply(convEntry(summary("c1")));
    registry.register({
      domain: "chat",
      kinds: ["msg"],
      apply: (entries) => {
        if (entries.some((e) => e.v === 3)) throw new Error("consumer blew up");
      },
    });

    await expect(apply(msgEntry(message("c1", 1)), msgEntry(message("c1", 2)))).rejects.toThrow("consumer blew up");

    expect(await db.messages.count()).toBe(0);
    expect((await db.conversations.get("c1"))?.lastMessage).toBeNull();
    expect(await store.loadVersions()).toEqual({ chat: 1, system: 0, marketing: 0 });
  });

  it("skips a malformed entry without blocking the domain", async () => {
    await apply(convEntry(summary("c1")), entry("msg", { message: { id: 42 } }), msgEntry(message("c1", 1)));
    expect(await db.messages.count()).toBe(1);
    expect((await store.loadVersions()).chat).toBe(3);
  });
});

describe("unread counting", () => {
  it("counts new messages from others above readSeq, never my own or ones the summary already has", async () => {
    // Message 1 is already counted by the summary (seq ≤ lastSeq).
    await apply(convEntry(summary("c1", { readSeq: 1, conversation: { ...summary("c1").conversation, lastSeq: 1 } })));
    await apply(
      msgEntry(message("c1", 1)), // already counted by the summary (seq ≤ lastSeq)
      msgEntry(message("c1", 2)),
      msgEntry(message("c1", 3, { senderId: ME })),
      msgEntry(message("c1", 4)),
      msgEntry(message("c1", 5)),
    );
    // 2 counted, then my message 3 read everything up to it, then 4 and 5.
    expect((await db.conversations.get("c1"))?.unread).toBe(2);

    // The same message again (history page, a re-pushed copy under a new version) does not count twice.
    await apply(msgEntry(message("c1", 5)));
    expect((await db.conversations.get("c1"))?.unread).toBe(2);
  });

  it("a message of mine marks everything before it read, as the server does", async () => {
    await apply(convEntry(summary("c1")), msgEntry(message("c1", 1)), msgEntry(message("c1", 2)));
    expect((await db.conversations.get("c1"))?.unread).toBe(2);
    await apply(msgEntry(message("c1", 3, { senderId: ME })), msgEntry(message("c1", 4)));
    const s = await db.conversations.get("c1");
    expect(s?.readSeq).toBe(3);
    expect(s?.unread).toBe(1);
  });

  it("my read entry clears unread up to its seq; another member's becomes their receipt", async () => {
    await apply(convEntry(summary("c1")), msgEntry(message("c1", 1)), msgEntry(message("c1", 2)), msgEntry(message("c1", 3)));
    expect((await db.conversations.get("c1"))?.unread).toBe(3);

    await apply(entry("read", { conversationId: "c1", userId: ME, seq: 2 }));
    let s = await db.conversations.get("c1");
    expect(s?.readSeq).toBe(2);
    expect(s?.unread).toBe(1);

    await apply(entry("read", { conversationId: "c1", userId: ME, seq: 3 }));
    await apply(entry("read", { conversationId: "c1", userId: PEER, seq: 3 }));
    s = await db.conversations.get("c1");
    expect(s?.unread).toBe(0);
    expect(s?.receipts?.find((r) => r.userId === PEER)).toEqual({ userId: PEER, readSeq: 3, deliveredSeq: 3 });
  });

  it("my read entry coming back after I marked read here writes nothing, so the list and the open conversation are not drawn again", async () => {
    await apply(convEntry(summary("c7")), msgEntry(message("c7", 1)), msgEntry(message("c7", 2)));
    // The server's answer is not what is tested here: the read entry it appends is applied below.
    const session = { db, user: { id: ME }, api: { markRead: async () => {} } } as unknown as Session;
    await markRead(session, "c7", 2);
    const marked = await db.conversations.get("c7");
    expect(marked).toMatchObject({ readSeq: 2, unread: 0, receipts: [{ userId: ME, readSeq: 2, deliveredSeq: 2 }] });

    let writes = 0;
    const counted = () => void writes++;
    db.conversations.hook("creating", counted);
    db.conversations.hook("updating", counted);
    await apply(entry("read", { conversationId: "c7", userId: ME, seq: 2 }));
    expect(writes).toBe(0);
    expect(await db.conversations.get("c7")).toEqual(marked);

    // Read further on another device: that entry still lands.
    await apply(msgEntry(message("c7", 3)));
    writes = 0;
    await apply(entry("read", { conversationId: "c7", userId: ME, seq: 3 }));
    expect(writes).toBe(1);
    expect(await db.conversations.get("c7")).toMatchObject({ readSeq: 3, unread: 0 });
  });

  it("delivered receipts only move forward", async () => {
    await apply(convEntry(summary("c1")));
    await apply(entry("delivered", { conversationId: "c1", userId: PEER, seq: 5 }));
    await apply(entry("delivered", { conversationId: "c1", userId: PEER, seq: 2 }));
    expect((await db.conversations.get("c1"))?.receipts).toEqual([{ userId: PEER, deliveredSeq: 5, readSeq: 0 }]);
  });

  it("reports a conversation it has no summary for", async () => {
    await apply(msgEntry(message("c9", 1)));
    expect(await db.messages.count()).toBe(1);
    expect(missing).toEqual(["c9"]);
  });
});

describe("outbox", () => {
  it("a msg entry with the same clientMsgId replaces the pending row in the same transaction", async () => {
    await apply(convEntry(summary("c1")));
    const pending = await enqueue(db, "c1", "hello");
    const other = await enqueue(db, "c1", "second");
    expect(await db.outbox.count()).toBe(2);

    await apply(msgEntry(message("c1", 1, { senderId: ME, clientMsgId: pending.clientMsgId, body: "hello" })));

    expect(await db.outbox.get(pending.clientMsgId)).toBeUndefined();
    expect(await db.outbox.get(other.clientMsgId)).toBeDefined();
    expect((await db.messages.filter((m) => m.clientMsgId === pending.clientMsgId).toArray()).map((m) => m.body)).toEqual(["hello"]);
    expect((await db.conversations.get("c1"))?.unread).toBe(0);
  });

  it("someone else's message never removes my row, even with a colliding clientMsgId", async () => {
    const pending = await enqueue(db, "c1", "hi");
    await apply(msgEntry(message("c1", 1, { clientMsgId: pending.clientMsgId })));
    expect(await db.outbox.get(pending.clientMsgId)).toBeDefined();
  });

  it("keeps rows in the order they were typed, even within one millisecond", async () => {
    const a = await enqueue(db, "c1", "a", 5_000);
    const b = await enqueue(db, "c1", "b", 5_000);
    expect(b.createdAt).toBeGreaterThan(a.createdAt);
  });
});

describe("other kinds", () => {
  it("recall marks the message and the summary's last message", async () => {
    const m = message("c1", 1);
    await apply(convEntry(summary("c1")), msgEntry(m), entry("recall", { conversationId: "c1", messageId: m.id, seq: m.seq, by: m.senderId, at: m.at }));
    expect((await db.messages.get(m.id))?.recalled).toBe(true);
    expect((await db.conversations.get("c1"))?.lastMessage?.recalled).toBe(true);
  });

  it("a recall stays when a copy of the message comes after it, in the same batch or a later one", async () => {
    const m = message("c1", 1);
    await apply(convEntry(summary("c1")), msgEntry(m), entry("recall", { conversationId: "c1", messageId: m.id, seq: m.seq, by: m.senderId, at: m.at }), msgEntry(m));
    expect((await db.messages.get(m.id))?.recalled).toBe(true);
    await apply(msgEntry(m));
    expect((await db.messages.get(m.id))?.recalled).toBe(true);
  });

  it("order entries update the item conversation and never go backwards", async () => {
    const item = { id: "i1", sellerId: PEER, title: "Lamp", priceCents: 1250, description: "", status: "listed" as const, at: 1 };
    await apply(convEntry(summary("c1", { item, conversation: { ...summary("c1").conversation, type: "item", itemId: "i1" } })));
    const order = { id: "o1", itemId: "i1", conversationId: "c1", buyerId: ME, sellerId: PEER, at: 5 };
    await store.apply("system", [entry("order", { order: { ...order, status: "shipped" } }, 1)], 1);
    await store.apply("system", [entry("order", { order: { ...order, status: "bought" } }, 2)], 2);
    const s = await db.conversations.get("c1");
    expect(s?.order?.status).toBe("shipped");
    expect(s?.item?.status).toBe("sold");
    expect(await store.loadVersions()).toEqual({ chat: 1, system: 2, marketing: 0 });
  });

  it("unknown kinds and commands still advance the version", async () => {
    await apply(entry("future-kind", { x: 1 }), entry("cmd", { name: "upload_diagnostics", args: {} }));
    expect((await store.loadVersions()).chat).toBe(2);
  });
});

describe("DexieSyncStore.applySnapshot", () => {
  it("replaces conversations and messages and sets every version to the heads", async () => {
    await apply(convEntry(summary("old")), msgEntry(message("old", 1)));
    const pending = await enqueue(db, "c1", "sent before the snapshot");
    await store.applySnapshot({
      heads: { chat: 50, system: 7, marketing: 3 },
      conversations: [summary("c1")],
      messages: { c1: [message("c1", 1, { senderId: ME, clientMsgId: pending.clientMsgId })] },
    });
    expect((await db.conversations.toArray()).map((s) => s.conversationId)).toEqual(["c1"]);
    expect((await db.messages.toArray()).map((m) => m.id)).toEqual(["c1-m1"]);
    expect(await db.outbox.count()).toBe(0);
    expect(await store.loadVersions()).toEqual({ chat: 50, system: 7, marketing: 3 });
  });
});

describe("with the sync engine", () => {
  it("applies shuffled pushes in order, exactly once, and resumes from the stored version", async () => {
    const all = [convEntry(summary("c1")), ...Array.from({ length: 30 }, (_, i) => msgEntry(message("c1", i + 1)))];
    const pulls: PullRequest[] = [];
    const source = {
      pull: async (req: PullRequest): Promise<PullResponse> => {
        pulls.push(req);
        const entries = all.filter((e) => e.v > req.after).slice(0, req.limit ?? 100);
        return { d: req.d, entries, head: all.length, reset: false };
      },
      snapshot: async () => {
        throw new Error("no snapshot expected");
      },
      ack: async () => {},
    };
    const engine = new SyncEngine({ source, store, settleMs: 5, maxSettleMs: 20 });
    await engine.start();
    const shuffled = [...all, ...all.slice(0, 5)].sort(() => Math.random() - 0.5);
    engine.receive(shuffled);
    await new Promise((r) => setTimeout(r, 50));
    await engine.idle();
    engine.stop();

    expect(pulls).toEqual([]);
    expect(await db.messages.count()).toBe(30);
    const s = await db.conversations.get("c1");
    expect(s?.unread).toBe(30);
    expect(s?.lastMessage?.seq).toBe(30);
    expect((await store.loadVersions()).chat).toBe(31);
  });
});

describe("messages of a kind this app does not know (a newer server)", () => {
  const future = (conversationId: string, seq: number) => ({ ...message(conversationId, seq), kind: "poll", body: "" });

  /** An Api whose every GET answers `body`, so the app's own response parsing runs. */
  const answering = (body: unknown) => new Api(new Http("", async () => new Response(JSON.stringify(body), { status: 200 })));

  it("a snapshot with one still applies: the others are stored, and so is that one", async () => {
    const wire = {
      heads: { chat: 9, system: 0, marketing: 0 },
      conversations: [summary("c1", { lastMessage: future("c1", 3) })],
      messages: { c1: [message("c1", 1), message("c1", 2), future("c1", 3)], c2: [message("c2", 1)] },
    };
    const snapshot = await answering(wire).snapshot();
    await store.applySnapshot(snapshot);

    const stored = await db.messages.orderBy("id").toArray();
    expect(stored.map((m) => [m.id, m.kind])).toEqual([
      ["c1-m1", "text"],
      ["c1-m2", "text"],
      ["c1-m3", "poll"],
      ["c2-m1", "text"],
    ]);
    expect((await db.conversations.get("c1"))?.lastMessage?.kind).toBe("poll");
    expect(await store.loadVersions()).toEqual({ chat: 9, system: 0, marketing: 0 });
  });

  it("a msg entry with one is stored and counted like any message, not skipped as malformed", async () => {
    await apply(convEntry(summary("c1")), msgEntry(message("c1", 1)), entry("msg", { message: future("c1", 2) }));
    expect((await db.messages.get("c1-m2"))?.kind).toBe("poll");
    const s = await db.conversations.get("c1");
    expect(s?.lastMessage?.id).toBe("c1-m2");
    expect(s?.unread).toBe(2);
  });

  it("a history page or conversation list with one still loads", async () => {
    const history = await answering({ messages: [message("c1", 1), future("c1", 2)] }).history("c1", undefined, 50);
    expect(history.map((m) => m.kind)).toEqual(["text", "poll"]);
    const list = await answering({ conversations: [summary("c1", { lastMessage: future("c1", 2) })] }).listConversations();
    expect(list[0]?.lastMessage?.kind).toBe("poll");
  });
});
