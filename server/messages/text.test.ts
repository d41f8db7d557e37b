import { randomUUID } from "node:crypto";
import type { InjectOptions } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { Entry, Message, Snapshot } from "../../shared/protocol/index.js";
import { TRICKY_TEXTS } from "../../shared/protocol/text-samples.js";
import { call, connect, type Client, emitAck, eventually, listen, openDirect, pullAll, register, type Session, startServer, type TestServer } from "../testing/harness.js";

let server: TestServer;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.disconnect();
  await server?.dispose();
});

type Ack = { ok: true; message: Message } | { ok: false; error: { code: string; message: string } };

async function live(url: string, s: Session): Promise<Client> {
  const c = connect(url, { token: s.token, deviceId: randomUUID(), protocol: 1 });
  clients.push(c);
  await c.hello;
  return c;
}

const payload = (conversationId: string, body: string) => ({ clientMsgId: randomUUID(), conversationId, kind: "text", body });
const bodies = (entries: Entry[]) => entries.filter((e) => e.k === "msg").map((e) => (e.data as { message: Message }).message.body);

async function history(s: Session, conversationId: string): Promise<string[]> {
  const res = await call<{ messages: Message[] }>(server.app, "GET", `/api/conversations/${conversationId}/messages`, { token: s.token });
  return res.body.messages.map((m) => m.body);
}

/** Alice and Bob in a direct conversation, Alice connected over the socket. */
async function setUp() {
  server = await startServer();
  const url = await listen(server);
  const alice = await register(server.app, "alice");
  const bob = await register(server.app, "bob");
  const { conversationId } = await openDirect(server.app, alice, bob);
  return { url, alice, bob, conversationId, aliceSocket: await live(url, alice) };
}

/** Everything a member can see of a conversation's text: history, the sync log, the snapshot. */
async function everyView(s: Session, conversationId: string) {
  const snapshot = await call<Snapshot>(server.app, "GET", "/api/sync/snapshot", { token: s.token });
  return {
    history: await history(s, conversationId),
    sync: bodies((await pullAll(server.app, s, "chat")).entries),
    snapshot: (snapshot.body.messages[conversationId] ?? []).map((m) => m.body),
  };
}

describe("text integrity: what is accepted is stored, synced and shown byte-identical", () => {
  it("keeps tricky but valid text unchanged in the answer, history, sync, snapshot and live push (HTTP and socket sends)", async () => {
    const { url, alice, bob, conversationId, aliceSocket } = await setUp();
    const bobSocket = await live(url, bob);

    const texts = Object.values(TRICKY_TEXTS);
    const sent: string[] = [];
    for (const [i, text] of texts.entries()) {
      // Every other one over the socket, the rest over HTTP.
      if (i % 2 === 0) {
        const ack = await emitAck<Ack>(aliceSocket.socket, "send", payload(conversationId, text));
        expect(ack.ok && ack.message.body).toBe(text);
      } else {
        const res = await call<{ message: Message }>(server.app, "POST", "/api/messages", { token: alice.token, body: payload(conversationId, text) });
        expect(res.status).toBe(201);
        expect(res.body.message.body).toBe(text);
      }
      sent.push(text);
    }

    for (const s of [alice, bob]) expect(await everyView(s, conversationId)).toEqual({ history: sent, sync: sent, snapshot: sent });
    await eventually(() => bodies(bobSocket.pushed).length === sent.length);
    expect(bodies(bobSocket.pushed)).toEqual(sent);
    // Byte for byte, as UTF-8 on the wire.
    expect(Buffer.from((await history(bob, conversationId)).join("\u0001"))).toEqual(Buffer.from(sent.join("\u0001")));
  });

  it("refuses invalid, control-character and invisible-only bodies with a 400 naming the field, over HTTP and socket, storing nothing", async () => {
    const { alice, bob, conversationId, aliceSocket: socket } = await setUp();
    const before = [(await pullAll(server.app, alice, "chat")).head, (await pullAll(server.app, bob, "chat")).head];

    const hostile: [string, RegExp][] = [
      ["\uD800", /^Body is not valid Unicode/],
      ["fine until here \uDFFF", /^Body is not valid Unicode/],
      ["\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000", /^Body contains a control character \(U\+0000\)/],
      ["\u200B\u200B\u200B\u200B\u200B\u200B\u200B\u200B", /^Body is empty/],
      ["\u200D\u2060\uFEFF\u00AD\uFE0F \n", /^Body is empty/],
      ["\u2800\u2800", /^Body is empty: it has only spaces or invisible characters\.$/],
      ["\u3164\u115F\u1160\uFFA0", /^Body is empty: it has only spaces or invisible characters\.$/],
      ["\u0301", /^Body is empty: it has only combining marks/],
    ];
    for (const [body, expected] of hostile) {
      const res = await call<{ error: { code: string; message: string } }>(server.app, "POST", "/api/messages", { token: alice.token, body: payload(conversationId, body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toMatch(expected);
      const ack = await emitAck<Ack>(socket.socket, "send", payload(conversationId, body));
      expect(ack.ok || ack.error, JSON.stringify(body)).toEqual({ code: "bad_request", message: expect.stringMatching(expected) });
    }

    // Invalid UTF-8 in a JSON body: refused, not silently replaced by U+FFFD.
    const json = Buffer.concat([Buffer.from(`{"clientMsgId":"${randomUUID()}","conversationId":"${conversationId}","kind":"text","body":"`), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from(`"}`)]);
    const raw = await server.app.inject({
      method: "POST",
      url: "/api/messages",
      headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json" },
      payload: json,
    });
    expect([raw.statusCode, raw.json()]).toEqual([400, { error: { code: "bad_request", message: "Request body is not valid UTF-8." } }]);

    expect([(await pullAll(server.app, alice, "chat")).head, (await pullAll(server.app, bob, "chat")).head]).toEqual(before);
    expect(await history(bob, conversationId)).toEqual([]);
  });

  it("refuses text-direction controls in names and titles with a 400 naming the field, changing nothing, and keeps them in a body", async () => {
    const { alice, bob, conversationId } = await setUp();
    const spoof = "\u202Enimda"; // shows as "admin"
    const state = async () => ({
      conversations: await Promise.all([alice, bob].map(async (s) => (await call(server.app, "GET", "/api/conversations", { token: s.token })).body)),
      items: (await call(server.app, "GET", "/api/items", { token: alice.token })).body,
      heads: await Promise.all(["chat", "system"].map(async (d) => (await pullAll(server.app, alice, d)).head)),
      mallory: await server.storage.read(async (r) => r.users.byUsername("mallory")),
    });
    const before = await state();

    const refused: [InjectOptions["method"], string, Session | null, object, string][] = [
      ["POST", "/api/auth/register", null, { username: "mallory", password: "a good long one", displayName: spoof }, "Display name"],
      ["POST", "/api/conversations", alice, { type: "group", title: spoof, memberIds: [bob.user.id] }, "Title"],
      ["PATCH", `/api/conversations/${conversationId}`, alice, { title: `team \u2066${spoof}\u2069` }, "Title"],
      ["POST", "/api/items", alice, { title: spoof, priceCents: 100 }, "Title"],
      ["PATCH", `/api/conversations/${conversationId}/settings`, alice, { remark: spoof }, "Remark"],
      ["PATCH", `/api/conversations/${conversationId}/settings`, alice, { label: "\u202Dboss" }, "Label"],
    ];
    for (const [method, path, s, body, field] of refused) {
      const res = await call<{ error: { code: string; message: string } }>(server.app, method, path, { token: s?.token, body });
      expect([res.status, res.body.error], `${method} ${path}`).toEqual([400, { code: "bad_request", message: expect.stringMatching(new RegExp(`^${field} contains a text-direction control \\(U\\+20(2[AD-E]|66)\\)`)) }]);
    }
    expect(await state()).toEqual(before);

    // A message body may quote right-to-left text with the same controls, unchanged.
    const quoted = `he wrote ${spoof} and \u2067שלום\u2069`;
    const sent = await call<{ message: Message }>(server.app, "POST", "/api/messages", { token: alice.token, body: payload(conversationId, quoted) });
    expect([sent.status, sent.body.message.body]).toEqual([201, quoted]);
    expect(await everyView(bob, conversationId)).toEqual({ history: [quoted], sync: [quoted], snapshot: [quoted] });
  });

  it("fails a WebSocket whose text frame is not UTF-8 (RFC 6455 §8.1), stores nothing and serves the next connection", async () => {
    const { url, alice, bob, conversationId, aliceSocket: c } = await setUp();
    const closed = new Promise<string>((resolve) => c.socket.once("disconnect", resolve));
    // socket.io's own framing around invalid bytes: 42 = event, then [name, payload].
    const frame = Buffer.concat([Buffer.from(`42["send",${JSON.stringify(payload(conversationId, "x")).replace('"x"', '"')}`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}]')]);
    rawWebSocket(c).send(frame, { binary: false });
    expect(await closed).toMatch(/transport (close|error)/);

    expect(bodies((await pullAll(server.app, bob, "chat")).entries)).toEqual([]);
    const again = await live(url, alice);
    const ack = await emitAck<Ack>(again.socket, "send", payload(conversationId, "still here"));
    expect(ack.ok && ack.message.body).toBe("still here");
  });
});

/**
 * The engine.io client's underlying `ws` socket, to put bytes on the wire that
 * no browser would (a browser's WebSocket only sends valid UTF-8 text).
 */
function rawWebSocket(c: Client): { send(data: Buffer, opts: { binary: boolean }): void } {
  // Not part of socket.io-client's typed surface; the shape is engine.io-client's WebSocket transport in Node.
  const transport = (c.socket.io.engine as unknown as { transport: { ws: { send(data: Buffer, opts: { binary: boolean }): void } } }).transport;
  return transport.ws;
}
