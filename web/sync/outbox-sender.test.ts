import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CourierError, type Message, type SendRequest } from "../../shared/protocol/index.js";
import { NetworkError } from "../api/errors.js";
import { CourierDb } from "../db/database.js";
import { OutboxSender } from "./outbox-sender.js";

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

async function settled(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
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
});
