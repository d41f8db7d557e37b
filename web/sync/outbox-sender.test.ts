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
});
