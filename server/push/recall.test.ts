import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Device, type PushPayload, pushPayloadSchema, type Summary } from "../../shared/protocol/index.js";
import { DEFAULT_PUSH_CONFIG } from "../config.js";
import { call, openDirect, register, sendHttp, type Session, startServer, type TestServer } from "../testing/harness.js";
import type { Timers } from "./collapse.js";
import { type PushReceiver, type ReceivedPush, startPushReceiver } from "./testing/push-receiver.js";
import { makeSubscriber, type Subscriber } from "./testing/web-push-client.js";

/**
 * A recalled message and the notifications about it, over real Web Push to
 * the local push service (web-push.test.ts): the device that shows one gets
 * a replacement naming who recalled, and the recalled text is in no payload,
 * even when the recall comes while the notification waits in its window.
 */

/** Collapse windows close when the test says so (`settle`). */
const windowTimers: Timers = { setTimeout: () => null, clearTimeout: () => {} };

let receiver: PushReceiver;
let server: TestServer;
const subscribers = new Map<string, Subscriber>();

beforeAll(async () => {
  receiver = await startPushReceiver();
  server = await startServer(
    { push: { ...DEFAULT_PUSH_CONFIG, allowHosts: ["127.0.0.1"] } },
    { push: { agent: receiver.agent, sleep: async () => {}, timers: windowTimers } },
  );
});

afterAll(async () => {
  await server?.dispose();
  await receiver?.close();
});

async function subscribe(s: Session, pathname: string): Promise<void> {
  const subscriber = makeSubscriber(receiver.endpoint(pathname));
  subscribers.set(pathname, subscriber);
  const res = await call<{ device: Device }>(server.app, "PUT", `/api/devices/${randomUUID()}`, {
    token: s.token,
    body: { protocol: 1, capabilities: ["ack"], userAgent: "test", notification: "granted", push: subscriber.subscription },
  });
  expect(res.body.device.push).toBe(true);
}

const decode = (r: ReceivedPush): PushPayload => pushPayloadSchema.parse(JSON.parse(subscribers.get(r.path)!.decrypt(r.body)));
const received = (path: string) => receiver.to(path).map(decode);

const hide = (s: Session, messageId: string) => call(server.app, "POST", `/api/messages/${messageId}/hide`, { token: s.token });

async function settle(): Promise<void> {
  await server.push.quiet();
  server.push.flushWindows();
  await server.push.idle();
}

async function recall(s: Session, messageId: string): Promise<void> {
  const res = await call(server.app, "POST", `/api/messages/${messageId}/recall`, { token: s.token });
  expect(res.status).toBe(200);
}

describe("Web Push and recall", () => {
  let alice: Session;
  let bob: Session;
  let conv: Summary;

  beforeAll(async () => {
    alice = await register(server.app, "alice");
    bob = await register(server.app, "bob");
    conv = await openDirect(server.app, alice, bob);
  });

  /** A new user with a subscribed device (receiving at /push/recall/<name>) and a chat with Alice. */
  async function recipient(name: string): Promise<{ path: string; session: Session; conv: Summary }> {
    const path = `/push/recall/${name}`;
    const session = await register(server.app, name);
    await subscribe(session, path);
    return { path, session, conv: await openDirect(server.app, alice, session) };
  }

  it("replaces a notification showing a recalled message: 'Alice recalled a message', found by message id, no text", async () => {
    const BOB = "/push/recall/bob";
    await subscribe(bob, BOB);
    const m = await sendHttp(server.app, alice, conv.conversationId, "meet me at the old mill");
    await settle();
    const [shown] = received(BOB);
    expect(shown).toMatchObject({ body: "meet me at the old mill", messageId: m.id, tag: `c:${conv.conversationId}` });

    const before = server.pushFunnel.snapshot().requested;
    await recall(alice, m.id);
    await settle();
    const pushes = received(BOB);
    expect(pushes).toHaveLength(2);
    expect(pushes[1]).toMatchObject({
      category: "chat",
      kind: "recall",
      title: "Alice",
      body: "Alice recalled a message",
      conversationId: conv.conversationId,
      messageId: m.id,
      tag: `c:${conv.conversationId}`,
    });
    expect(JSON.stringify(pushes[1])).not.toContain("old mill");
    // The chat push's Topic: one still undelivered at the push service is replaced there, its text never arriving.
    const [chatPush, recallPush] = receiver.to(BOB);
    expect(recallPush!.headers.topic).toBeTruthy();
    expect(recallPush!.headers.topic).toBe(chatPush!.headers.topic);
    // It announces nothing: the funnel counts notifications, not their repairs.
    expect(server.pushFunnel.snapshot().requested).toBe(before);
    // Alice's own devices are told nothing (she recalled it).
  });

  it("never previews a message recalled while its notification waited in the collapse window", async () => {
    const { path: CAROL, conv: c } = await recipient("carol");
    await sendHttp(server.app, alice, c.conversationId, "the first one");
    const secret = await sendHttp(server.app, alice, c.conversationId, "the combination is 4-8-15");
    await recall(alice, secret.id);
    await settle();
    const pushes = received(CAROL);
    expect(pushes).toHaveLength(1); // nothing was shown for it: no recall push either
    expect(pushes[0]).toMatchObject({ body: "the first one" });
    expect(pushes[0]!.messageId).not.toBe(secret.id);
    expect(JSON.stringify(pushes)).not.toContain("4-8-15");

    // Everything in the window recalled: no notification at all.
    const only = await sendHttp(server.app, alice, c.conversationId, "second thoughts");
    await recall(alice, only.id);
    await settle();
    expect(received(CAROL).filter((p) => p.kind !== "recall")).toHaveLength(1);
  });

  it("never previews a message the recipient deleted for themselves while its notification waited", async () => {
    const { path: ERIN, session: erin, conv: c } = await recipient("erin");
    await sendHttp(server.app, alice, c.conversationId, "still here");
    const gone = await sendHttp(server.app, alice, c.conversationId, "the spoiler: it was the butler");
    expect((await hide(erin, gone.id)).status).toBe(204);
    await settle();
    const pushes = received(ERIN);
    expect(pushes).toEqual([expect.objectContaining({ body: "still here" })]);
    expect(JSON.stringify(pushes)).not.toContain("butler");
  });

  it("replaces a shown notification on the hider's devices when they delete the message for themselves ('Message deleted')", async () => {
    const { path: FRANK, session: frank, conv: c } = await recipient("frank");
    const m = await sendHttp(server.app, alice, c.conversationId, "delete me please");
    await settle();
    expect((await hide(frank, m.id)).status).toBe(204);
    await settle();
    const pushes = received(FRANK);
    expect(pushes).toHaveLength(2);
    expect(pushes[1]).toMatchObject({ kind: "hide", body: "Message deleted", messageId: m.id, tag: `c:${c.conversationId}` });
    expect(JSON.stringify(pushes[1])).not.toContain("delete me");
    const [chatPush, hidePush] = receiver.to(FRANK);
    expect(hidePush!.headers.topic).toBe(chatPush!.headers.topic);
  });

  it("sends the recall to a device notified of the message even after the conversation was read elsewhere, not to one shown a newer message", async () => {
    const { path: GINA, session: gina, conv: c } = await recipient("gina");
    const m = await sendHttp(server.app, alice, c.conversationId, "read on the laptop");
    await settle();
    const read = await call(server.app, "POST", `/api/conversations/${c.conversationId}/read`, { token: gina.token, body: { seq: m.seq } });
    expect(read.status).toBeLessThan(300);
    await recall(alice, m.id);
    await settle();
    expect(received(GINA).map((p) => p.kind ?? p.body)).toEqual(["read on the laptop", "recall"]);

    // The phone's newest notification shows a later message: the earlier one's recall leaves it alone.
    const older = await sendHttp(server.app, alice, c.conversationId, "older");
    await settle();
    await sendHttp(server.app, alice, c.conversationId, "newer");
    await settle();
    await recall(alice, older.id);
    await settle();
    expect(received(GINA).map((p) => p.kind ?? p.body)).toEqual(["read on the laptop", "recall", "older", "newer"]);
  });

  it("sends no recall push to a device that was never told of the conversation", async () => {
    const DAVE = "/push/recall/dave";
    const dave = await register(server.app, "dave");
    const c = await openDirect(server.app, alice, dave);
    const m = await sendHttp(server.app, alice, c.conversationId, "before dave subscribed");
    await settle();
    await subscribe(dave, DAVE);
    await recall(alice, m.id);
    await settle();
    expect(received(DAVE)).toEqual([]);
  });
});
