import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CourierError, type Message, type SendRequest } from "../../shared/protocol/index.js";
import { NetworkError } from "../api/errors.js";
import { CourierDb } from "../db/database.js";
import { rememberSession } from "../db/device-db.js";
import { MemoryStorage } from "../lib/memory-storage.js";
import { enqueue } from "../db/outbox.js";
import { expiredMessage, OUTBOX_MAX_AGE_MS, OutboxSender } from "./outbox-sender.js";

let db: CourierDb;
let seq = 0;

const serverCopy = (req: SendRequest): Message => ({
  id: `m-${req.clientMsgId}`,
  conversationId: req.conversationId,
  seq: ++seq,
  senderId: "me",
  clientMsgId: req.clientMsgId,
  kind: "text",
  body: req.body,
  at: Date.now(),
});

/** Lets IndexedDB (setImmediate) and promises run; no clock involved. */
async function settled(): Promise<void> {
  for (let i = 0; i < 60; i++) await new Promise((r) => setImmediate(r));
}

beforeEach(async () => {
  seq = 0;
  db = new CourierDb(`outbox-${crypto.randomUUID()}`);
  await db.open();
});
afterEach(async () => {
  await db.delete();
});

describe("OutboxSender", () => {
  it("sends rows in the order typed and swaps each for the server's copy", async () => {
    const sent: string[] = [];
    const sender = new OutboxSender({ db, onReauth: () => {}, send: async (req) => (sent.push(req.body), serverCopy(req)) });
    await sender.send("c1", "one");
    await sender.send("c1", "two");
    await sender.send("c1", "three");
    await settled();
    expect(sent).toEqual(["one", "two", "three"]);
    expect(await db.outbox.count()).toBe(0);
    expect((await db.messages.orderBy("[conversationId+seq]").toArray()).map((m) => m.body)).toEqual(["one", "two", "three"]);
    sender.stop();
  });

  it("keeps a row queued on a network error and holds back the rows behind it", async () => {
    const send = vi.fn(async (_req: SendRequest): Promise<Message> => {
      throw new NetworkError();
    });
    const sender = new OutboxSender({ db, onReauth: () => {}, send });
    await sender.send("c1", "first");
    await sender.send("c1", "second");
    await settled();
    sender.stop();
    const rows = await db.outbox.orderBy("createdAt").toArray();
    expect(rows.map((r) => [r.body, r.status])).toEqual([
      ["first", "sending"],
      ["second", "sending"],
    ]);
    expect(send.mock.calls.map(([req]) => req.body)).not.toContain("second");
  });

  it("marks a refused row failed with the server's reason, goes on, and retries with the same clientMsgId", async () => {
    let refuse = true;
    const ids: string[] = [];
    const sender = new OutboxSender({
      db,
      onReauth: () => {},
      send: async (req) => {
        ids.push(req.clientMsgId);
        if (refuse && req.body === "bad") throw CourierError.forbidden("You are not a member of this conversation.");
        return serverCopy(req);
      },
    });
    const bad = await sender.send("c1", "bad");
    await sender.send("c1", "good");
    await settled();
    const row = await db.outbox.get(bad.clientMsgId);
    expect(row?.status).toBe("failed");
    expect(row?.error).toBe("You are not a member of this conversation.");
    expect(await db.messages.count()).toBe(1);

    refuse = false;
    await sender.retry(bad.clientMsgId);
    await settled();
    expect(await db.outbox.count()).toBe(0);
    expect(ids.filter((id) => id === bad.clientMsgId)).toHaveLength(2);
    sender.stop();
  });

  describe("the age limit", () => {
    const HOUR = 60 * 60 * 1000;

    it("queues offline messages across a restart and sends them in order, each once, when the link returns", async () => {
      let online = false;
      const sent: string[] = [];
      const send = async (req: SendRequest): Promise<Message> => {
        if (!online) throw new NetworkError();
        sent.push(req.body);
        return serverCopy(req);
      };
      const ids: string[] = [];
      const first = new OutboxSender({ db, onReauth: () => {}, send: (req) => (ids.push(req.clientMsgId), send(req)) });
      const typed = [await first.send("c1", "one"), await first.send("c1", "two")];
      await settled();
      first.stop(); // the tab is closed: nothing of it is left but what IndexedDB holds
      const before = db;
      before.close();

      online = true;
      db = new CourierDb(before.userId); // the app opens again, on a new connection to the same database
      await db.open();
      expect(before.isOpen()).toBe(false);
      const second = new OutboxSender({ db, onReauth: () => {}, send: (req) => (ids.push(req.clientMsgId), send(req)) });
      second.flush();
      await settled();
      expect(sent).toEqual(["one", "two"]);
      // The attempts before the restart and after it carry the same ids: the server drops any repeat.
      expect(new Set(ids)).toEqual(new Set(typed.map((row) => row.clientMsgId)));
      expect(await db.outbox.count()).toBe(0);
      expect((await db.messages.orderBy("[conversationId+seq]").toArray()).map((m) => m.body)).toEqual(["one", "two"]);
      second.stop();
    });

    it("does not send a message that waited longer than the limit: it turns failed with Retry and Delete", async () => {
      let now = 1_000_000;
      let online = false;
      const sent: string[] = [];
      const send = async (req: SendRequest): Promise<Message> => {
        if (!online) throw new NetworkError();
        sent.push(req.body);
        return serverCopy(req);
      };
      const typedYesterday = new OutboxSender({ db, onReauth: () => {}, send, now: () => now });
      const old = await typedYesterday.send("c1", "see you at 5?");
      await settled();
      typedYesterday.stop();

      now += 3 * HOUR;
      const fresh = await enqueue(db, "c1", "still there?", now);
      now += OUTBOX_MAX_AGE_MS - 2 * HOUR; // the first is now 25 h old, the second 22 h
      online = true;
      const sender = new OutboxSender({ db, onReauth: () => {}, send, now: () => now });
      sender.flush();
      await settled();
      expect(sent).toEqual(["still there?"]);
      const row = await db.outbox.get(old.clientMsgId);
      expect(row?.status).toBe("failed");
      expect(row?.error).toBe(expiredMessage());
      expect(await db.outbox.get(fresh.clientMsgId)).toBeUndefined();

      // Retry is the person's decision: it goes out then, with the same clientMsgId.
      await sender.retry(old.clientMsgId);
      await settled();
      expect(sent).toEqual(["still there?", "see you at 5?"]);
      expect(await db.outbox.count()).toBe(0);
      sender.stop();
    });

    it("counts rows stored before the limit existed (no queuedAt) from when they were typed", async () => {
      const now = 5 * OUTBOX_MAX_AGE_MS;
      await db.outbox.add({ clientMsgId: crypto.randomUUID(), conversationId: "c1", body: "old", createdAt: now - OUTBOX_MAX_AGE_MS - 1, status: "sending" });
      const send = vi.fn(async (req: SendRequest) => serverCopy(req));
      const sender = new OutboxSender({ db, onReauth: () => {}, send, now: () => now });
      sender.flush();
      await settled();
      expect(send).not.toHaveBeenCalled();
      expect((await db.outbox.toArray()).map((r) => r.status)).toEqual(["failed"]);
      sender.stop();
    });
  });

  describe("a flush asked for during a failing attempt", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** Lets IndexedDB (setImmediate, not faked) and promises run, without moving the fake clock. */
    async function drain(): Promise<void> {
      for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    }

    /** A send that fails once with `error`, while flush() is called mid-flight; then succeeds. */
    function failingOnce(error: Error, midFlight: () => void) {
      let calls = 0;
      return vi.fn(async (req: SendRequest): Promise<Message> => {
        if (++calls === 1) {
          midFlight();
          throw error;
        }
        return serverCopy(req);
      });
    }

    it("tries again at once when the link comes back during the attempt, not after the backoff", async () => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
      let sender: OutboxSender | null = null;
      // The socket dropped mid-send; meanwhile the link is back (hello, `online`) and asks for a flush.
      const send = failingOnce(new NetworkError(), () => sender?.flush());
      sender = new OutboxSender({ db, onReauth: () => {}, send });
      await sender.send("c1", "hello");
      await drain();
      expect(send).toHaveBeenCalledTimes(2);
      expect(await db.outbox.count()).toBe(0);
      expect((await db.messages.toArray()).map((m) => m.body)).toEqual(["hello"]);
      sender.stop();
    });

    it("still waits out Retry-After when rate limited, whoever asks for a flush", async () => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
      let sender: OutboxSender | null = null;
      const limited = new CourierError("rate_limited", "Slow down.", 5_000);
      const send = failingOnce(limited, () => sender?.flush());
      sender = new OutboxSender({ db, onReauth: () => {}, send });
      await sender.send("c1", "hello");
      await drain();
      expect(send).toHaveBeenCalledTimes(1);

      sender.flush(); // e.g. the `online` event
      await sender.send("c1", "second"); // a new message asks for a flush too
      await drain();
      expect(send).toHaveBeenCalledTimes(1);
      expect(await db.outbox.count()).toBe(2);

      await vi.advanceTimersByTimeAsync(4_999);
      await drain();
      expect(send).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(1);
      await drain();
      expect(send.mock.calls.map(([req]) => req.body)).toEqual(["hello", "hello", "second"]);
      expect(await db.outbox.count()).toBe(0);
      sender.stop();
    });

    it("waits a backoff after a socket rate limit without Retry-After, too", async () => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
      let sender: OutboxSender | null = null;
      const send = failingOnce(new CourierError("rate_limited", "Slow down."), () => sender?.flush());
      sender = new OutboxSender({ db, onReauth: () => {}, send });
      await sender.send("c1", "hello");
      await drain();
      sender.flush();
      await drain();
      expect(send).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(30_500);
      await drain();
      expect(send).toHaveBeenCalledTimes(2);
      expect(await db.outbox.count()).toBe(0);
      sender.stop();
    });
  });

  describe("on a browser profile another account signed in to (the cookie is shared by every tab)", () => {
    const signedInHere = (userId: string | null) =>
      rememberSession(userId === null ? null : { user: { id: userId, username: "someone", displayName: "Someone" }, deviceId: crypto.randomUUID() });
    beforeEach(() => {
      vi.stubGlobal("localStorage", new MemoryStorage());
    });
    afterEach(() => {
      vi.unstubAllGlobals();
    });

    it("a tab that wakes after its account signed out and another signed in sends nothing, and asks for a session check", async () => {
      signedInHere(db.userId);
      const send = vi.fn(async (req: SendRequest) => serverCopy(req));
      const onReauth = vi.fn();
      const sender = new OutboxSender({ db, onReauth, send });
      await sender.send("c1", "first");
      await settled();
      expect(send).toHaveBeenCalledTimes(1);

      // Frozen meanwhile: its account signed out in another tab, then someone else signed in there.
      signedInHere("someone-else");
      await sender.send("c1", "typed before the freeze");
      await settled();
      expect(send).toHaveBeenCalledTimes(1);
      expect(onReauth).toHaveBeenCalledTimes(1);
      expect((await db.outbox.toArray()).map((r) => [r.body, r.status])).toEqual([["typed before the freeze", "sending"]]);

      signedInHere(null); // signed out: still nobody's to send under
      sender.flush();
      await settled();
      expect(send).toHaveBeenCalledTimes(1);

      signedInHere(db.userId); // its account is back: the row goes out as it was
      sender.flush();
      await settled();
      expect(send.mock.calls.map(([req]) => req.body)).toEqual(["first", "typed before the freeze"]);
      expect(await db.outbox.count()).toBe(0);
      sender.stop();
    });
  });

  describe("a message typed while nothing waits goes out before its row is written", () => {
    /** A sender whose first run has found the queue empty. */
    async function idleSender(send: (req: SendRequest) => Promise<Message>): Promise<OutboxSender> {
      const sender = new OutboxSender({ db, onReauth: () => {}, send });
      sender.flush();
      await settled();
      return sender;
    }

    it("is on its way at once, and its row is in the outbox: a tab closed now sends it on the next open, once", async () => {
      const requests: SendRequest[] = [];
      // The server never answers: the tab is closed while the request is out.
      const sender = await idleSender((req) => (requests.push(req), new Promise<Message>(() => {})));
      const typed = sender.send("c1", "sent as the tab closes");
      // Nothing awaited yet: the request left in the same task as Enter, before the outbox write finished.
      expect(requests.map((r) => r.body)).toEqual(["sent as the tab closes"]);
      const row = await typed;
      expect(row.clientMsgId).toBe(requests[0]!.clientMsgId);
      sender.stop();
      expect((await db.outbox.toArray()).map((r) => [r.clientMsgId, r.body, r.status])).toEqual([[requests[0]!.clientMsgId, "sent as the tab closes", "sending"]]);

      // The next open: the same message goes out again under the same clientMsgId (the server keeps one), then leaves the outbox.
      const again: SendRequest[] = [];
      const next = new OutboxSender({ db, onReauth: () => {}, send: async (req) => (again.push(req), serverCopy(req)) });
      next.flush();
      await settled();
      expect(again.map((r) => [r.clientMsgId, r.body])).toEqual([[requests[0]!.clientMsgId, "sent as the tab closes"]]);
      expect(await db.outbox.count()).toBe(0);
      expect((await db.messages.toArray()).map((m) => m.body)).toEqual(["sent as the tab closes"]);
      next.stop();
    });

    it("keeps the order typed: a message typed while one is out goes after it, and each is stored once", async () => {
      const answers: Array<() => void> = [];
      const sent: string[] = [];
      const sender = await idleSender(
        (req) =>
          new Promise<Message>((resolve) => {
            sent.push(req.body);
            answers.push(() => resolve(serverCopy(req)));
          }),
      );
      const first = sender.send("c1", "one");
      const second = sender.send("c1", "two");
      await Promise.all([first, second]);
      await settled();
      expect(sent).toEqual(["one"]);
      answers.shift()!();
      await settled();
      expect(sent).toEqual(["one", "two"]);
      answers.shift()!();
      await settled();
      expect((await db.messages.orderBy("[conversationId+seq]").toArray()).map((m) => m.body)).toEqual(["one", "two"]);
      expect(await db.outbox.count()).toBe(0);
      // The queue is empty again: the next one goes at once.
      void sender.send("c1", "three");
      expect(sent).toEqual(["one", "two", "three"]);
      answers.shift()!();
      await settled();
      expect((await db.messages.orderBy("[conversationId+seq]").toArray()).map((m) => m.body)).toEqual(["one", "two", "three"]);
      sender.stop();
    });

    it("waits behind a row queued after a network error, and behind a retried one", async () => {
      let offline = true;
      const sent: string[] = [];
      const sender = await idleSender(async (req) => {
        sent.push(req.body);
        if (offline) throw new NetworkError();
        return serverCopy(req);
      });
      await sender.send("c1", "first");
      await settled();
      expect(sent).toEqual(["first"]);
      // Waiting for its retry: the next one queues behind it rather than jumping ahead.
      await sender.send("c1", "second");
      await settled();
      // (The new row makes the queue try again at once: "first" again, never "second" before it.)
      expect(new Set(sent)).toEqual(new Set(["first"]));
      sender.stop();

      offline = false;
      const refused: string[] = [];
      const next = await idleSender(async (req) => {
        refused.push(req.body);
        if (req.body === "first") throw CourierError.forbidden("No.");
        return serverCopy(req);
      });
      expect(refused).toEqual(["first", "second"]);
      const failed = (await db.outbox.toArray())[0]!;
      expect(failed.status).toBe("failed");
      // Retry, then type at once: the retried row keeps its place.
      const retried = next.retry(failed.clientMsgId);
      void next.send("c1", "third");
      await retried;
      await settled();
      expect(refused).toEqual(["first", "second", "first", "third"]);
      next.stop();
    });

    it("fails to the caller only when the outbox could not keep it and the server did not take it", async () => {
      const sender = await idleSender(async (req) => serverCopy(req));
      const add = vi.spyOn(db.outbox, "add").mockRejectedValueOnce(new Error("QuotaExceededError"));
      // Not kept here, but the server has it: sent.
      await expect(sender.send("c1", "kept by the server")).resolves.toMatchObject({ body: "kept by the server" });
      await settled();
      expect((await db.messages.toArray()).map((m) => m.body)).toEqual(["kept by the server"]);
      sender.stop();

      const offline = await idleSender(async () => {
        throw new NetworkError();
      });
      add.mockRejectedValueOnce(new Error("QuotaExceededError"));
      // Neither kept here nor sent: the caller is told (the composer gives the text back).
      await expect(offline.send("c1", "lost otherwise")).rejects.toThrow("QuotaExceededError");
      offline.stop();
      add.mockRestore();
    });
  });
});
