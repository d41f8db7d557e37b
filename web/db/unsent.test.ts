import "fake-indexeddb/auto";
import { Dexie } from "dexie";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Message, SendRequest } from "../../shared/protocol/index.js";
import { NetworkError } from "../api/errors.js";
import { draftKey, loadDraft, saveDraft } from "../lib/drafts.js";
import { MemoryStorage } from "../lib/memory-storage.js";
import { OutboxSender } from "../sync/outbox-sender.js";
import { CourierDb, dbNameFor } from "./database.js";
import { enqueue } from "./outbox.js";
import { putAway, restoreDrafts, unsentIn } from "./unsent.js";
import { message, summary } from "./test-fixtures.js";

/** The server's side of sending: one message per (sender, clientMsgId), like server/messages. */
class FakeServer {
  readonly stored = new Map<string, Message>();
  online = true;
  /** The next send is stored but its answer never arrives (the link died on the way back). */
  loseNextAnswer = false;
  private seq = 0;

  sendAs(senderId: string) {
    return async (req: SendRequest): Promise<Message> => {
      if (!this.online) throw new NetworkError();
      const key = `${senderId}/${req.clientMsgId}`;
      let stored = this.stored.get(key);
      if (!stored) {
        stored = { id: `m${++this.seq}`, conversationId: req.conversationId, seq: this.seq, senderId, clientMsgId: req.clientMsgId, kind: "text", body: req.body, at: this.seq };
        this.stored.set(key, stored);
      }
      if (this.loseNextAnswer) {
        this.loseNextAnswer = false;
        throw new NetworkError();
      }
      return stored;
    };
  }

  bodiesFrom(senderId: string): string[] {
    return [...this.stored.values()].filter((m) => m.senderId === senderId).map((m) => m.body);
  }
}

/** Lets the outbox run its queue (fake-indexeddb schedules with setImmediate). */
async function settled(): Promise<void> {
  for (let i = 0; i < 60; i++) await new Promise((r) => setImmediate(r));
}

let alice: string;
let bob: string;
let storage: MemoryStorage;
let server: FakeServer;

/** A signed-in session of `userId` on this browser: its database (opened anew, as after a reload) and outbox. */
async function signIn(userId: string) {
  const db = new CourierDb(userId);
  await db.open();
  await restoreDrafts(db, storage);
  const outbox = new OutboxSender({ db, onReauth: () => {}, send: server.sendAs(userId) });
  return { db, outbox };
}

async function signOut(session: Awaited<ReturnType<typeof signIn>>, how: Parameters<typeof putAway>[1]) {
  session.outbox.stop();
  session.db.close();
  await putAway(session.db.userId, how, storage);
}

const exists = (userId: string) => Dexie.exists(dbNameFor(userId));

beforeEach(() => {
  alice = `alice-${crypto.randomUUID()}`;
  bob = `bob-${crypto.randomUUID()}`;
  storage = new MemoryStorage();
  server = new FakeServer();
});
afterEach(async () => {
  await Dexie.delete(dbNameFor(alice));
  await Dexie.delete(dbNameFor(bob));
});

describe("sign-out with messages waiting (Sign out anyway)", () => {
  it("keeps the outbox and drafts for the account and drops its history", async () => {
    server.online = false;
    const a = await signIn(alice);
    await a.db.conversations.put(summary("c1"));
    await a.db.messages.put(message("c1", 1, { body: "history" }));
    await a.db.versions.put({ d: "chat", v: 7 });
    const one = await a.outbox.send("c1", "one");
    const two = await a.outbox.send("c2", "two");
    saveDraft("c1", "half a thought", storage);
    await settled();
    expect((await unsentIn(a.db, [])).messages.map((r) => r.body)).toEqual(["one", "two"]);

    await signOut(a, "keep-unsent");

    expect(storage.data.has(draftKey("c1"))).toBe(false); // the next person here does not see it
    const reopened = new CourierDb(alice);
    await reopened.open();
    expect(await reopened.messages.count()).toBe(0);
    expect(await reopened.conversations.count()).toBe(0);
    expect(await reopened.versions.count()).toBe(0);
    expect((await reopened.outbox.orderBy("createdAt").toArray()).map((r) => [r.clientMsgId, r.body])).toEqual([
      [one.clientMsgId, "one"],
      [two.clientMsgId, "two"],
    ]);
    expect(await reopened.drafts.toArray()).toEqual([{ conversationId: "c1", text: "half a thought" }]);
    reopened.close();
  });

  it("sends them at the account's next sign-in, in order, once each, with their original clientMsgIds", async () => {
    const a = await signIn(alice);
    server.loseNextAnswer = true; // "one" reaches the server, its answer does not reach us
    const one = await a.outbox.send("c1", "one");
    await settled();
    server.online = false;
    const two = await a.outbox.send("c1", "two");
    await settled();
    await signOut(a, "keep-unsent");

    server.online = true;
    const again = await signIn(alice);
    again.outbox.flush();
    await settled();
    expect(server.bodiesFrom(alice)).toEqual(["one", "two"]);
    expect([...server.stored.values()].map((m) => m.clientMsgId)).toEqual([one.clientMsgId, two.clientMsgId]);
    expect(await again.db.outbox.count()).toBe(0);
    expect(loadDraft("c1", storage)).toBe("");
    again.outbox.stop();
    again.db.close();
  });

  it("never shows or sends them under another account, and they are still there after it: A, B, A", async () => {
    server.online = false;
    const a = await signIn(alice);
    await a.outbox.send("c1", "for later");
    saveDraft("c1", "alice's draft", storage);
    await settled();
    await signOut(a, "keep-unsent");

    server.online = true;
    const b = await signIn(bob);
    b.outbox.flush();
    await settled();
    expect(await b.db.outbox.count()).toBe(0);
    expect(loadDraft("c1", storage)).toBe("");
    expect(server.bodiesFrom(bob)).toEqual([]);
    expect(server.bodiesFrom(alice)).toEqual([]);
    await signOut(b, "keep-unsent"); // Bob had nothing unsent: his database goes, Alice's stays
    expect(await exists(bob)).toBe(false);
    expect(await exists(alice)).toBe(true);

    saveDraft("c1", "typed since", storage); // never overwritten by a kept draft
    saveDraft("c9", "", storage);
    const back = await signIn(alice);
    back.outbox.flush();
    await settled();
    expect(server.bodiesFrom(alice)).toEqual(["for later"]);
    expect(loadDraft("c1", storage)).toBe("typed since");
    back.outbox.stop();
    back.db.close();
  });

  it("deletes the database when nothing is left unsent", async () => {
    const a = await signIn(alice);
    await a.db.messages.put(message("c1", 1));
    await a.outbox.send("c1", "sent at once");
    await settled();
    await signOut(a, "keep-unsent");
    expect(await exists(alice)).toBe(false);
  });

  it("deletes them too when the person chose to (Delete them and sign out)", async () => {
    server.online = false;
    const a = await signIn(alice);
    await a.outbox.send("c1", "never mind");
    saveDraft("c1", "draft", storage);
    await settled();
    await signOut(a, "discard");
    expect(await exists(alice)).toBe(false);
    expect(storage.data.size).toBe(0);
  });
});

describe("a session the server ended (expired, revoked)", () => {
  it("keeps history and outbox, and moves the drafts out of sight of the next account until the same account is back", async () => {
    server.online = false;
    const a = await signIn(alice);
    await a.db.messages.put(message("c1", 1));
    await a.outbox.send("c1", "pending");
    saveDraft("c1", "draft", storage);
    await settled();
    await signOut(a, "keep-all");
    expect(loadDraft("c1", storage)).toBe("");

    server.online = true;
    const back = await signIn(alice);
    expect(await back.db.messages.count()).toBe(1);
    expect(loadDraft("c1", storage)).toBe("draft");
    expect(await back.db.drafts.count()).toBe(0); // restored once, not again at every sign-in
    back.outbox.flush();
    await settled();
    expect(server.bodiesFrom(alice)).toEqual(["pending"]);
    back.outbox.stop();
    back.db.close();
  });
});

describe("the database schema", () => {
  it("upgrades a version 1 database without losing its outbox", async () => {
    const v1 = new Dexie(dbNameFor(alice));
    v1.version(1).stores({
      messages: "id, [conversationId+seq], clientMsgId",
      conversations: "conversationId",
      versions: "d",
      outbox: "clientMsgId, conversationId, createdAt",
    });
    await v1.open();
    await v1.table("outbox").add({ clientMsgId: "k1", conversationId: "c1", body: "typed before the upgrade", createdAt: 1, status: "sending" });
    v1.close();

    const db = new CourierDb(alice);
    await db.open();
    expect((await db.outbox.toArray()).map((r) => r.body)).toEqual(["typed before the upgrade"]);
    await enqueue(db, "c1", "after");
    await db.drafts.put({ conversationId: "c1", text: "d" });
    expect(await db.outbox.count()).toBe(2);
    db.close();
  });
});
