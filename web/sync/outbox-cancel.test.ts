import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Message, SendRequest } from "../../shared/protocol/index.js";
import { NetworkError } from "../api/errors.js";
import { CourierDb } from "../db/database.js";
import { OutboxSender } from "./outbox-sender.js";

/** Recall of a message still in the outbox (issue 13): it is never sent, or recalled once it was. */
let db: CourierDb;

const serverCopy = (req: SendRequest, seq = 1): Message => ({
  id: `m-${req.clientMsgId}`,
  conversationId: req.conversationId,
  seq,
  senderId: "me",
  clientMsgId: req.clientMsgId,
  kind: "text",
  body: req.body,
  at: 1_000,
  ...(req.replyTo ? { replyTo: { id: req.replyTo, seq: 1 } } : {}),
});

async function settled(): Promise<void> {
  for (let i = 0; i < 60; i++) await new Promise((r) => setImmediate(r));
}

beforeEach(async () => {
  db = new CourierDb(`outbox-cancel-${crypto.randomUUID()}`);
  await db.open();
});
afterEach(async () => {
  await db.delete();
});

/** A sender whose link is down until `online()`; what reached the server is in `requests`. */
function offlineSender() {
  const link = { up: false };
  const requests: SendRequest[] = [];
  const sender = new OutboxSender({
    db,
    onReauth: () => {},
    send: async (req) => {
      if (!link.up) throw new NetworkError();
      requests.push(req);
      return serverCopy(req, requests.length);
    },
  });
  const online = () => {
    link.up = true;
    sender.flush();
  };
  return { sender, requests, online };
}

describe("OutboxSender.cancel", () => {
  it("a queued row (offline) leaves the outbox and is never sent when the link returns", async () => {
    const { sender, requests, online } = offlineSender();
    const first = await sender.send("c1", "keep me");
    const second = await sender.send("c1", "take me back");
    await settled();

    expect(await sender.cancel(second.clientMsgId)).toBeNull();
    expect((await db.outbox.toArray()).map((r) => r.clientMsgId)).toEqual([first.clientMsgId]);

    online();
    await settled();
    expect(requests.map((r) => r.body)).toEqual(["keep me"]);
    sender.stop();
  });

  it("a row whose request is already out answers the server's copy once confirmed, for the caller to recall", async () => {
    let answer!: (m: Message) => void;
    const requests: SendRequest[] = [];
    const sender = new OutboxSender({
      db,
      onReauth: () => {},
      send: (req) => {
        requests.push(req);
        return new Promise<Message>((resolve) => (answer = resolve));
      },
    });
    const row = await sender.send("c1", "too late");
    await settled();
    expect(requests).toHaveLength(1);

    const cancelled = sender.cancel(row.clientMsgId);
    answer(serverCopy(requests[0]!));
    expect(await cancelled).toMatchObject({ clientMsgId: row.clientMsgId, id: `m-${row.clientMsgId}` });
    await settled();
    expect(await db.outbox.count()).toBe(0);
    expect(requests).toHaveLength(1);
    sender.stop();
  });

  it("a reply carries the quoted message's id in the send, also after waiting offline", async () => {
    const { sender, requests, online } = offlineSender();
    const row = await sender.send("c1", "yes", { id: "m-quoted", seq: 1 });
    expect((await db.outbox.get(row.clientMsgId))?.replyTo).toEqual({ id: "m-quoted", seq: 1 });
    online();
    await settled();
    expect(requests.map((r) => r.replyTo)).toEqual(["m-quoted"]);
    sender.stop();
  });
});
