import "fake-indexeddb/auto";
import { Dexie } from "dexie";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Message, SendRequest } from "../../shared/protocol/index.js";
import { NetworkError } from "../api/errors.js";
import { allDrafts, draftKey, loadDraft, saveDraft } from "../lib/drafts.js";
import { MemoryStorage } from "../lib/memory-storage.js";
import { OutboxSender } from "../sync/outbox-sender.js";
import { CourierDb, dbNameFor } from "./database.js";
import { profileUser, rememberSession } from "./device-db.js";
import { enqueue } from "./outbox.js";
import type { OutboxRow } from "./records.js";
import { accountBack, putAway, restoreDrafts, sessionEnding, unsentIn } from "./unsent.js";
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

/**
 * A signed-in session of `userId` on this browser, as session-manager.ts
 * opens one: the profile says who is signed in, then its database (opened
 * anew, as after a reload) and outbox.
 */
async function signIn(userId: string) {
  rememberSession({ user: { id: userId, username: "someone", displayName: "Someone" }, deviceId: crypto.randomUUID() });
  accountBack(userId);
  const db = new CourierDb(userId);
  await db.open();
  await restoreDrafts(db, storage);
  const outbox = new OutboxSender({ db, onReauth: () => {}, send: server.sendAs(userId) });
  return { db, outbox };
}

/** The session ends in this tab (at once: sessionEnding) and its data is put away once its handle has closed. */
function signOut(session: Awaited<ReturnType<typeof signIn>>, how: Parameters<typeof putAway>[1]) {
  session.outbox.stop();
  const drafts = sessionEnding(session.db.userId, how, storage);
  session.db.close();
  return putAway(session.db.userId, how, drafts, storage);
}

const exists = (userId: string) => Dexie.exists(dbNameFor(userId));

/** What the account's database holds (opening it does not create it here: callers know it exists). */
async function contents(userId: string) {
  const db = new CourierDb(userId);
  try {
    return { messages: await db.messages.count(), outbox: await db.outbox.count(), drafts: await db.drafts.count() };
  } finally {
    db.close();
  }
}

/** Another tab's connection, in plain IndexedDB: it answers the events Dexie would answer for us. */
function rawOpen(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

function rawPut(db: IDBDatabase, store: string, value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, "readwrite");
    tx.objectStore(store).put(value);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

beforeEach(() => {
  alice = `alice-${crypto.randomUUID()}`;
  bob = `bob-${crypto.randomUUID()}`;
  storage = new MemoryStorage();
  vi.stubGlobal("localStorage", storage); // the profile's session and "Delete them" live there too
  server = new FakeServer();
});
afterEach(async () => {
  vi.unstubAllGlobals();
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
    await signOut(b, "keep-unsent"); // Bob had nothing unsent: nothing of his stays, Alice's does
    expect(await contents(bob)).toEqual({ messages: 0, outbox: 0, drafts: 0 });
    expect(await contents(alice)).toEqual({ messages: 0, outbox: 1, drafts: 1 });

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

  it("leaves nothing of the account but an empty database when everything was sent", async () => {
    const a = await signIn(alice);
    await a.db.messages.put(message("c1", 1));
    await a.outbox.send("c1", "sent at once");
    await settled();
    await signOut(a, "keep-unsent");
    expect(await contents(alice)).toEqual({ messages: 0, outbox: 0, drafts: 0 });
  });

  it("keeps a message another tab of the account writes while the sign-out is put away, even at the worst moment", async () => {
    // The other tab writes just before the database would be deleted (its
    // versionchange event), or once the sign-out is done if nothing deletes it.
    const a = await signIn(alice);
    await a.db.messages.put(message("c1", 1));
    const other = await rawOpen(dbNameFor(alice));
    const row: OutboxRow = { clientMsgId: "from-the-other-tab", conversationId: "c1", body: "typed in the other tab", createdAt: 1, status: "sending" };
    let written: Promise<void> | null = null;
    const write = () => (written ??= rawPut(other, "outbox", row));
    other.onversionchange = () => void write().then(() => other.close());

    await signOut(a, "keep-unsent"); // nothing unsent when it looked
    await write();
    other.close();

    const kept = new CourierDb(alice);
    expect((await kept.outbox.toArray()).map((r) => r.body)).toEqual(["typed in the other tab"]);
    kept.close();
  });

  it("deletes them too when the person chose to (Delete them and sign out)", async () => {
    server.online = false;
    const a = await signIn(alice);
    await a.outbox.send("c1", "never mind");
    saveDraft("c1", "draft", storage);
    await settled();
    await signOut(a, "discard");
    expect(await exists(alice)).toBe(false);
    expect(allDrafts(storage)).toEqual([]);
  });
});

describe("sign-out while other tabs of the profile go on (another tab, or one that wakes late)", () => {
  it("moves only the drafts it read, and leaves the next account's drafts restored meanwhile", async () => {
    const a = await signIn(alice);
    saveDraft("c1", "alice's draft", storage);
    const puttingAway = signOut(a, "keep-unsent");
    // Meanwhile Bob signs in in another tab and gets his kept draft back.
    rememberSession({ user: { id: bob, username: "bob", displayName: "Bob" }, deviceId: crypto.randomUUID() });
    saveDraft("c2", "bob's draft", storage);
    await puttingAway;

    expect(allDrafts(storage)).toEqual([{ conversationId: "c2", text: "bob's draft" }]);
    const kept = new CourierDb(alice);
    expect(await kept.drafts.toArray()).toEqual([{ conversationId: "c1", text: "alice's draft" }]);
    kept.close();
  });

  it("a tab of the account that ends after another account signed in here keeps none of that account's drafts", async () => {
    const stale = await signIn(alice); // a tab frozen before Alice signed out elsewhere
    const b = await signIn(bob);
    saveDraft("c2", "bob's draft", storage);

    await signOut(stale, "keep-unsent"); // it wakes, hears of the sign-out and ends

    expect(await contents(alice)).toEqual({ messages: 0, outbox: 0, drafts: 0 });
    expect(allDrafts(storage)).toEqual([{ conversationId: "c2", text: "bob's draft" }]);
    expect(profileUser()).toBe(bob); // Bob is still signed in here, for every tab
    b.outbox.stop();
    b.db.close();
  });

  it("Delete them is honoured by slower tabs of the account that end later (told to sign out, or their session ended)", async () => {
    server.online = false;
    const deciding = await signIn(alice);
    const slower = await signIn(alice);
    const slowest = await signIn(alice);
    await deciding.outbox.send("c1", "never mind");
    saveDraft("c1", "draft", storage);
    await settled();

    await signOut(deciding, "discard");
    saveDraft("c2", "typed in a slower tab meanwhile", storage);
    await signOut(slower, "keep-unsent");
    await signOut(slowest, "keep-all");

    expect(await exists(alice)).toBe(false);
    expect(allDrafts(storage)).toEqual([]);
  });

  it("Delete them lands after a slower tab has put its session away, and still wins", async () => {
    server.online = false;
    const deciding = await signIn(alice);
    const slower = await signIn(alice);
    await deciding.outbox.send("c1", "never mind");
    saveDraft("c1", "draft", storage);
    await settled();

    const slowerDone = signOut(slower, "keep-unsent");
    await signOut(deciding, "discard");
    await slowerDone;

    expect(await exists(alice)).toBe(false);
  });

  it("Delete them applies to that sign-out only: after the account signs in again, Sign out anyway keeps", async () => {
    server.online = false;
    await signOut(await signIn(alice), "discard");
    const back = await signIn(alice);
    await back.outbox.send("c1", "for later");
    await settled();
    await signOut(back, "keep-unsent");
    expect(await contents(alice)).toEqual({ messages: 0, outbox: 1, drafts: 0 });
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
