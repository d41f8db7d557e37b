import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import type { Entry, Message, PollResponse } from "../../shared/protocol/index.js";
import { DEFAULT_PUSH_CONFIG } from "../config.js";
import type { Timers } from "../push/collapse.js";
import { type PushReceiver, startPushReceiver } from "../push/testing/push-receiver.js";
import { makeSubscriber } from "../push/testing/web-push-client.js";
import { openStream, type SseClient } from "../testing/sse-client.js";
import type { PollPresence } from "../transports/poll/presence.js";
import { call, type Client, connect, emitAck, eventually, listen, openDirect, sendHttp, type Session, startServer, type TestServer } from "../testing/harness.js";

/**
 * JSON logs with every kind of traffic through a real server at `trace`:
 * every line is JSON, request lines carry Fastify's `reqId`, delivery events
 * have their debug lines with message ids, and nothing secret or private is
 * in any line (docs/observability.md, "Logs and health").
 */

const PASSWORD = "Log-Test-Passw0rd-4417";
const ADMIN_TOKEN = "log-test-admin-token-5cd2e9a1";
const METRICS_TOKEN = "log-test-metrics-token-0b7e44";
const WORD = "lighthousekeeper";
const TEXTS = [`zebra-quartz-7319 meet at the ${WORD}`, "marmalade-ostrich-2286 bring the map", "violin-cobalt-5501 see you"];
const PUSH_PATH = "/push/secret-capability-path-81fd";

/** Collapse windows close when the test says so. */
const windowTimers: Timers = { setTimeout: () => null, clearTimeout: () => {} };

let server: TestServer | undefined;
let receiver: PushReceiver | undefined;
const sockets: Client[] = [];
const streams: SseClient[] = [];
afterEach(async () => {
  for (const c of sockets.splice(0)) c.socket.disconnect();
  for (const s of streams.splice(0)) s.close();
  await server?.dispose();
  await receiver?.close();
  server = receiver = undefined;
});

/** Every line the app writes, as written (parsed only by the assertions). */
function rawLog(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

describe("JSON logs", () => {
  it("carry request ids and delivery debug lines with message ids; no log line, trace or scrape holds text, a search, a password, a token or push keys", async () => {
    const log = rawLog();
    receiver = await startPushReceiver();
    server = await startServer(
      { logLevel: "trace", adminToken: ADMIN_TOKEN, metricsToken: METRICS_TOKEN, heartbeatMs: 60_000, recallWindowMs: 600_000, push: { ...DEFAULT_PUSH_CONFIG, allowHosts: ["127.0.0.1"] } },
      { logger: { stream: log.stream }, push: { agent: receiver.agent, timers: windowTimers } },
    );
    const { app } = server;
    const url = await listen(server);

    // Sign up and sign in (the second session is the one used from here on).
    const signUp = async (username: string) => {
      const res = await call<Session>(app, "POST", "/api/auth/register", { body: { username, password: PASSWORD, displayName: username } });
      expect(res.status).toBe(201);
      return res.body;
    };
    const signIn = async (username: string) => {
      const res = await call<Session>(app, "POST", "/api/auth/login", { body: { username, password: PASSWORD } });
      expect(res.status).toBe(200);
      return res.body;
    };
    const firstSessions = [await signUp("alice"), await signUp("bob"), await signUp("carol")];
    const [alice, bob, carol] = [await signIn("alice"), await signIn("bob"), await signIn("carol")];
    expect((await call(app, "POST", "/api/auth/login", { body: { username: "alice", password: `${PASSWORD}-wrong` } })).status).toBe(401);

    // Carol has one device, offline, subscribed to Web Push.
    const subscriber = makeSubscriber(receiver.endpoint(PUSH_PATH));
    const carolDevice = randomUUID();
    const registered = await call(app, "PUT", `/api/devices/${carolDevice}`, {
      token: carol.token,
      body: { protocol: 1, capabilities: ["ack"], userAgent: "test", notification: "granted", push: subscriber.subscription },
    });
    expect(registered.status).toBe(200);

    const toBob = (await openDirect(app, alice, bob)).conversationId;
    const toCarol = (await openDirect(app, alice, carol)).conversationId;

    // Alice on long-poll: a first answer, then a poll parked for what comes.
    const aliceDevice = randomUUID();
    const first = await call<PollResponse>(app, "GET", `/api/poll?device=${aliceDevice}&wait=0`, { token: alice.token });
    expect(first.status).toBe(200);
    const waiting = () => server!.hub.connectionsOf(alice.user.id).some((c) => ((c as Partial<PollPresence>).waiting ?? 0) > 0);
    const poll = async (cursor: string) => {
      const res = await fetch(`${url}/api/poll?device=${aliceDevice}&cursor=${cursor}&wait=30000`, { headers: { authorization: `Bearer ${alice.token}` } });
      return (await res.json()) as PollResponse;
    };
    const parked = poll(first.body.cursor);
    await eventually(waiting);

    // Bob on socket.io and on SSE (two devices).
    const ws = connect(url, { token: bob.token, deviceId: randomUUID(), protocol: 1 });
    sockets.push(ws);
    await ws.hello;
    const sseDevice = randomUUID();
    const sse = await openStream(`${url}/api/stream?device=${sseDevice}`, { authorization: `Bearer ${bob.token}` });
    streams.push(sse);
    await sse.next((e) => e.event === "hello");

    // Alice writes to Bob over HTTP; both of Bob's devices get it and ack it.
    const sent = await sendHttp(app, alice, toBob, TEXTS[0]);
    const carries = (entries: Entry[], m: Message) => entries.some((e) => (e.data as { message?: Message } | null)?.message?.id === m.id);
    await eventually(() => carries(ws.pushed, sent));
    const wsVersion = Math.max(...ws.pushed.filter((e) => e.d === "chat").map((e) => e.v));
    expect(await emitAck(ws.socket, "ack", { acks: { chat: wsVersion } })).toMatchObject({ ok: true });
    const own = await parked;
    expect(carries(own.entries, sent)).toBe(true);
    const ssePush = await sse.next((e) => e.event === "push" && carries(JSON.parse(e.data) as Entry[], sent));
    const sseVersion = Math.max(...(JSON.parse(ssePush.data) as Entry[]).map((e) => e.v));
    const sseAck = await call(app, "POST", "/api/sync/ack", { token: bob.token, headers: { "x-device-id": sseDevice }, body: { acks: { chat: sseVersion } } });
    expect(sseAck.status).toBe(200);

    // Bob answers over the socket: Alice's polls bring it, and her next poll acks it.
    const reply = await emitAck<{ ok: boolean; message: Message }>(ws.socket, "send", { clientMsgId: randomUUID(), conversationId: toBob, kind: "text", body: TEXTS[1] });
    expect(reply.ok).toBe(true);
    // (An earlier answer may carry the receipts of Bob's acks.)
    let answer = own;
    while (!carries(answer.entries, reply.message)) answer = await poll(answer.cursor);
    const acked = await call<PollResponse>(app, "GET", `/api/poll?device=${aliceDevice}&cursor=${answer.cursor}&wait=0`, { token: alice.token });
    expect(acked.status).toBe(200);

    // Alice writes to Carol, who is offline: Web Push.
    const toOffline = await sendHttp(app, alice, toCarol, TEXTS[2]);
    await server.push.quiet();
    server.push.flushWindows();
    await server.push.idle();
    expect(receiver.to(PUSH_PATH)).toHaveLength(1);

    // Alice recalls her first message; Bob searches his messages.
    expect((await call(app, "POST", `/api/messages/${sent.id}/recall`, { token: alice.token })).status).toBe(200);
    const found = await call<{ results: unknown[] }>(app, "GET", `/api/search?q=${WORD}`, { token: bob.token });
    expect(found.status).toBe(200);

    // The admin, with the right token and a wrong one.
    expect((await call(app, "GET", "/api/admin/reports", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
    expect((await call(app, "GET", "/api/admin/reports", { headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } })).status).toBe(401);

    // The admin's trace of a message, and a Prometheus scrape with the right token and a wrong one.
    await server.trace.flush();
    const trace = await app.inject({ method: "GET", url: `/api/admin/messages/${toOffline.id}/trace`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(trace.statusCode).toBe(200);
    const scrape = await app.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scrape.statusCode).toBe(200);
    expect((await call(app, "GET", "/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } })).status).toBe(401);

    // ---- what the log holds ----
    const lines = log.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(20);

    // Request lines (Fastify's "incoming request" and "request completed") carry the request id.
    const requestLines = lines.filter((l) => "req" in l || "res" in l);
    expect(requestLines.length).toBeGreaterThan(10);
    for (const l of requestLines) expect(l.reqId, JSON.stringify(l)).toMatch(/^req-/);
    expect(lines.every((l) => l.node === server!.config.nodeId)).toBe(true);

    // Delivery lines: the message's commit, each device's push by transport, the acks, the notification.
    const delivery = lines.filter((l) => l.component === "delivery");
    expect(delivery.every((l) => l.level === 20)).toBe(true);
    const has = (event: string, match: Record<string, unknown>) =>
      expect(delivery.filter((l) => l.event === event), `${event} ${JSON.stringify(match)}`).toContainEqual(expect.objectContaining(match));
    has("stored", { messageId: sent.id, conversationId: toBob, seq: sent.seq, senderId: alice.user.id });
    has("stored", { messageId: reply.message.id });
    has("stored", { messageId: toOffline.id, conversationId: toCarol });
    has("pushed", { userId: bob.user.id, transport: "ws", messageIds: [sent.id] });
    has("pushed", { userId: bob.user.id, deviceId: sseDevice, transport: "sse", messageIds: [sent.id] });
    has("acked", { userId: bob.user.id, transport: "ws", ranges: [{ conversationId: toBob, lo: sent.seq, hi: sent.seq }] });
    has("pushed", { userId: alice.user.id, deviceId: aliceDevice, transport: "poll", messageIds: [sent.id] });
    has("acked", { userId: bob.user.id, deviceId: sseDevice });
    has("acked", { userId: alice.user.id, deviceId: aliceDevice });
    has("notified", { userId: carol.user.id, deviceId: carolDevice, category: "chat", ranges: [{ conversationId: toCarol, lo: toOffline.seq, hi: toOffline.seq }] });

    // Nothing private: message text (any of its words), the search, the password, any token, the push keys and endpoint.
    const secrets = [
      ...TEXTS.flatMap((t) => t.split(" ").filter((w) => w.length > 4)),
      WORD,
      PASSWORD,
      ADMIN_TOKEN,
      METRICS_TOKEN,
      ...[...firstSessions, alice, bob, carol].map((s) => s.token),
      subscriber.subscription.keys.p256dh,
      subscriber.subscription.keys.auth,
      PUSH_PATH,
    ];
    for (const text of [...log.lines, trace.body, scrape.body]) {
      for (const secret of secrets) expect(text.includes(secret), `${secret} in ${text}`).toBe(false);
    }
  });

  it("redacts what a careless log call would pass on: headers with sessions, bodies, passwords, tokens", async () => {
    const log = rawLog();
    server = await startServer({}, { logger: { stream: log.stream } });
    const secret = "careless-secret-2f9a61";
    // The second line of defence (server/http/logger.ts REDACT_PATHS): the app's own logger, given objects whole.
    server.app.log.warn({ headers: { authorization: `Bearer ${secret}`, cookie: `courier_session=${secret}` } }, "headers");
    server.app.log.warn({ body: { body: secret }, password: secret, token: secret }, "body");
    const lines = log.lines.filter((l) => /"msg":"(headers|body)"/.test(l));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toContain(secret);
      expect(line).toContain("[redacted]");
    }
  });
});
