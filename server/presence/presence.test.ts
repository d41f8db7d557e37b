import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { formatCursor, type Message, type PollResponse, type PresenceView, TYPING_RELAY_GAP_MS, type TypingFrame } from "../../shared/protocol/index.js";
import {
  call,
  type Client,
  connect,
  emitAck,
  eventually,
  listen,
  openDirect,
  register,
  sendHttp,
  type Session,
  startServer,
  type TestServer,
} from "../testing/harness.js";
import { openStream, type SseClient } from "../testing/sse-client.js";

/**
 * Presence on one process, on the engine the project runs (SQLite in `unit`,
 * PostgreSQL in `server-on-postgres`): typing on every transport, who gets
 * it and how often, online / last seen and its setting, location messages.
 * Across processes: cluster.test.ts.
 */
let server: TestServer;
let url: string;
let now = 1_000_000;
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await server?.dispose();
});

async function start(): Promise<void> {
  now = 1_000_000;
  server = await startServer({}, { clock: () => now });
  url = await listen(server);
}

function ws(s: Session): Client {
  const client = connect(url, { token: s.token, deviceId: randomUUID(), protocol: 1 });
  closers.push(() => client.socket.disconnect());
  return client;
}

async function sse(s: Session): Promise<SseClient> {
  const stream = await openStream(`${url}/api/stream?device=${randomUUID()}`, { authorization: `Bearer ${s.token}` });
  closers.push(() => stream.close());
  await stream.next((e) => e.event === "hello");
  return stream;
}

const typed = (c: Client): TypingFrame[] => c.events.filter((e) => e.name === "typing").map((e) => e.args[0] as TypingFrame);
const typeHttp = (s: Session, conversationId: unknown) => call(server.app, "POST", "/api/typing", { token: s.token, body: { conversationId } });
const presence = (viewer: Session, of: Session) => call<PresenceView>(server.app, "GET", `/api/users/${of.user.id}/presence`, { token: viewer.token });

async function trio() {
  const [ann, bob, eve] = [await register(server.app), await register(server.app), await register(server.app)];
  const { conversationId } = await openDirect(server.app, ann, bob);
  // Eve's own chat with Bob: a conversation Ann's typing is not for.
  const other = (await openDirect(server.app, eve, bob)).conversationId;
  // Typing is relayed only in a chat both can see: one with a message in it.
  await sendHttp(server.app, ann, conversationId);
  await sendHttp(server.app, eve, other);
  return { ann, bob, eve, conversationId, other };
}

describe("typing", () => {
  it("reaches the other member's socket, never the typer's own devices nor a non-member, and a non-member's signal is refused", async () => {
    await start();
    const { ann, bob, eve, conversationId } = await trio();
    const [bobSocket, annOther, eveSocket, annSocket] = [ws(bob), ws(ann), ws(eve), ws(ann)];
    await Promise.all([bobSocket.hello, annOther.hello, eveSocket.hello, annSocket.hello]);
    const heads = await Promise.all([ann, bob].map((s) => server.sync.heads(s.user.id)));

    expect(await emitAck(annSocket.socket, "typing", { conversationId })).toEqual({ ok: true });
    await eventually(() => typed(bobSocket).length === 1);
    expect(typed(bobSocket)).toEqual([{ conversationId, userId: ann.user.id }]);

    // Eve is not in the conversation: refused, and nothing reaches Bob.
    expect(await emitAck(eveSocket.socket, "typing", { conversationId })).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect((await typeHttp(eve, conversationId)).status).toBe(403);
    expect((await typeHttp(eve, "no-such-conversation")).status).toBe(403);
    // Bad input: 400, nothing relayed.
    expect((await typeHttp(ann, 42)).status).toBe(400);
    expect(await emitAck(annSocket.socket, "typing", { conversationId, extra: 1 })).toMatchObject({ ok: false, error: { code: "bad_request" } });

    // A marker on each socket that must not have heard Ann: anything before it would show up first.
    now += 5000;
    expect((await typeHttp(bob, conversationId)).status).toBe(204);
    await eventually(() => typed(annOther).length === 1 && typed(annSocket).length === 1);
    expect(typed(annOther)).toEqual([{ conversationId, userId: bob.user.id }]);
    expect(typed(bobSocket)).toHaveLength(1);
    expect(typed(eveSocket)).toEqual([]);
    // Never in the log: nobody's chat domain moved.
    expect(await Promise.all([ann, bob].map((s) => server.sync.heads(s.user.id)))).toEqual(heads);
  });

  it("arrives as `event: typing` on SSE and answers a parked long-poll at once with `ephemeral`", async () => {
    await start();
    const { ann, bob, conversationId } = await trio();
    const stream = await sse(bob);
    const device = randomUUID();
    // Parked for up to 20 s: an answer before that came from the typing.
    const cursor = formatCursor(await server.sync.heads(bob.user.id));
    const parked = fetch(`${url}/api/poll?device=${device}&cursor=${cursor}&wait=20000`, { headers: { authorization: `Bearer ${bob.token}` } });
    await eventually(() => server.hub.countByTransport().poll === 1 && (server.hub.connectionsOf(bob.user.id).find((c) => c.transport === "poll") as unknown as { waiting: number }).waiting === 1);

    expect((await typeHttp(ann, conversationId)).status).toBe(204);
    const event = await stream.next((e) => e.event === "typing");
    expect(JSON.parse(event.data)).toEqual({ conversationId, userId: ann.user.id });
    expect(event.id).toBeUndefined();
    const answer = (await (await parked).json()) as PollResponse;
    expect(answer.entries).toEqual([]);
    expect(answer.ephemeral).toEqual([{ type: "typing", conversationId, userId: ann.user.id }]);
    // Said once: the next poll does not repeat it.
    const next = await call<PollResponse>(server.app, "GET", `/api/poll?device=${device}&cursor=${cursor}&wait=0`, { token: bob.token });
    expect(next.body.ephemeral).toBeUndefined();
  });

  it("says nothing in a chat the other cannot see yet (no message in it), nor between people one of whom blocks the other", async () => {
    await start();
    const [ann, bob, cat] = [await register(server.app), await register(server.app), await register(server.app)];
    const empty = (await openDirect(server.app, ann, bob)).conversationId;
    const withCat = (await openDirect(server.app, cat, bob)).conversationId;
    await sendHttp(server.app, cat, withCat);
    const bobSocket = ws(bob);
    await bobSocket.hello;

    // Ann opened a chat with Bob and types her first message: Bob's list has no such chat, so no indicator.
    expect((await typeHttp(ann, empty)).status).toBe(204);
    // Bob blocks Cat: Cat's typing no longer reaches him.
    expect((await call(server.app, "POST", `/api/users/${cat.user.id}/block`, { token: bob.token })).status).toBe(201);
    expect((await typeHttp(cat, withCat)).status).toBe(204);
    // A marker: once Ann has written, her typing reaches Bob; nothing came before it.
    await sendHttp(server.app, ann, empty, "hi Bob");
    now += TYPING_RELAY_GAP_MS;
    expect((await typeHttp(ann, empty)).status).toBe(204);
    await eventually(() => typed(bobSocket).length === 1);
    expect(typed(bobSocket)).toEqual([{ conversationId: empty, userId: ann.user.id }]);
  });

  it("relays one signal per person and conversation per TYPING_RELAY_GAP_MS; a faster one is 429 and reaches nobody", async () => {
    await start();
    const { ann, bob, conversationId } = await trio();
    const bobSocket = ws(bob);
    await bobSocket.hello;
    expect((await typeHttp(ann, conversationId)).status).toBe(204);
    now += TYPING_RELAY_GAP_MS - 1;
    const fast = await typeHttp(ann, conversationId);
    expect(fast.status).toBe(429);
    expect(fast.body).toMatchObject({ error: { code: "rate_limited" } });
    now += 1;
    expect((await typeHttp(ann, conversationId)).status).toBe(204);
    await eventually(() => typed(bobSocket).length === 2);
    // The refused one in between was never relayed: a third marker comes right after the second.
    now += 1000;
    expect((await typeHttp(ann, conversationId)).status).toBe(204);
    await eventually(() => typed(bobSocket).length === 3);
  });
});

describe("online and last seen", () => {
  it("online while a connection is live, last seen stored when the last one closes; 404 for a stranger", async () => {
    await start();
    const { ann, bob, eve } = await trio();
    const stranger = await register(server.app);
    expect((await presence(ann, stranger)).status).toBe(404);
    expect((await presence(ann, eve)).status).toBe(404);
    expect((await call(server.app, "GET", "/api/users/nobody/presence", { token: ann.token })).status).toBe(404);

    expect((await presence(ann, bob)).body).toEqual({ online: false, lastSeenAt: null });
    const first = ws(bob);
    const second = ws(bob);
    await Promise.all([first.hello, second.hello]);
    expect((await presence(ann, bob)).body).toEqual({ online: true, lastSeenAt: null });

    now = 2_000_000;
    first.socket.disconnect();
    await eventually(() => server.hub.connectionsOf(bob.user.id).length === 1);
    // One connection still live: online, and no last seen written yet.
    expect((await presence(ann, bob)).body).toEqual({ online: true, lastSeenAt: null });
    now = 3_000_000;
    second.socket.disconnect();
    await eventually(async () => (await presence(ann, bob)).body.lastSeenAt === 3_000_000);
    expect((await presence(ann, bob)).body).toEqual({ online: false, lastSeenAt: 3_000_000 });
  });

  it("404 through a chat the other cannot see yet (no message in it), and between people one of whom blocks the other", async () => {
    await start();
    const [eve, bob] = [await register(server.app), await register(server.app)];
    // Eve opens a chat with Bob and writes nothing: Bob's list has no such chat, so she learns nothing of him.
    const { conversationId } = await openDirect(server.app, eve, bob);
    expect((await presence(eve, bob)).status).toBe(404);
    await sendHttp(server.app, eve, conversationId, "is the bike still there?");
    expect((await presence(eve, bob)).status).toBe(200);
    // Bob blocks Eve: neither sees the other's presence any more.
    expect((await call(server.app, "POST", `/api/users/${eve.user.id}/block`, { token: bob.token })).status).toBe(201);
    expect((await presence(eve, bob)).status).toBe(404);
    expect((await presence(bob, eve)).status).toBe(404);
  });

  it("“Show when I'm online” off: their presence reads as unknown, and they see nobody's", async () => {
    await start();
    const { ann, bob } = await trio();
    const bobSocket = ws(bob);
    await bobSocket.hello;
    expect((await call(server.app, "GET", "/api/me/presence", { token: bob.token })).body).toEqual({ showOnline: true });
    expect((await call(server.app, "PATCH", "/api/me/presence", { token: bob.token, body: { showOnline: "no" } })).status).toBe(400);
    expect((await call(server.app, "PATCH", "/api/me/presence", { token: bob.token, body: {} })).status).toBe(400);
    expect((await presence(ann, bob)).body).toEqual({ online: true, lastSeenAt: null });

    const off = await call(server.app, "PATCH", "/api/me/presence", { token: bob.token, body: { showOnline: false } });
    expect(off.body).toEqual({ showOnline: false });
    expect((await call(server.app, "GET", "/api/me/presence", { token: bob.token })).body).toEqual({ showOnline: false });
    expect((await presence(ann, bob)).body).toEqual({ online: null, lastSeenAt: null });
    // Reciprocal: Bob sees nothing of Ann either.
    const annSocket = ws(ann);
    await annSocket.hello;
    expect((await presence(bob, ann)).body).toEqual({ online: null, lastSeenAt: null });

    await call(server.app, "PATCH", "/api/me/presence", { token: bob.token, body: { showOnline: true } });
    expect((await presence(bob, ann)).body).toEqual({ online: true, lastSeenAt: null });
  });
});

describe("location messages", () => {
  const sendLocation = (s: Session, conversationId: string, location: unknown, extra: object = {}) =>
    call<{ message: Message }>(server.app, "POST", "/api/messages", {
      token: s.token,
      body: { clientMsgId: randomUUID(), conversationId, kind: "location", location, ...extra },
    });

  it("stores the place rounded to 3 decimals, with its label, everywhere it is read", async () => {
    await start();
    const { ann, bob, conversationId } = await trio();
    const sent = await sendLocation(ann, conversationId, { lat: 52.370216, lng: -4.8951, label: " Station entrance " });
    expect(sent.status).toBe(201);
    const place = { lat: 52.37, lng: -4.895, label: "Station entrance" };
    expect(sent.body.message).toMatchObject({ kind: "location", body: "", location: place });
    const history = await call<{ messages: Message[] }>(server.app, "GET", `/api/conversations/${conversationId}/messages`, { token: bob.token });
    expect(history.body.messages.at(-1)?.location).toEqual(place);
    const pulled = await call<{ entries: { data: { message?: Message } }[] }>(server.app, "GET", "/api/sync/chat?after=0", { token: bob.token });
    expect(pulled.body.entries.map((e) => e.data.message?.location).filter(Boolean)).toEqual([place]);
    // Without a label; a place just west of Greenwich rounds to 0, never -0.
    const bare = await sendLocation(ann, conversationId, { lat: -0.0001, lng: 179.99999 });
    expect(bare.body.message.location).toEqual({ lat: 0, lng: 180 });
    expect(Object.is(bare.body.message.location!.lat, -0)).toBe(false);
  });

  it("refuses a place that is not one (400) and stores nothing", async () => {
    await start();
    const { ann, bob, conversationId } = await trio();
    const bad: [unknown, object][] = [
      [{ lat: 91, lng: 0 }, {}],
      [{ lat: 0, lng: -181 }, {}],
      [{ lat: "52", lng: 4 }, {}],
      [{ lat: 52, lng: 4, label: "x".repeat(201) }, {}],
      [{ lat: 52, lng: 4, extra: true }, {}],
      [{ lat: 52, lng: 4 }, { body: "text too" }],
      [undefined, {}],
    ];
    const before = await server.sync.heads(bob.user.id);
    for (const [location, extra] of bad) expect((await sendLocation(ann, conversationId, location, extra)).status).toBe(400);
    // A place on a text message is refused too.
    const textWithPlace = await call(server.app, "POST", "/api/messages", {
      token: ann.token,
      body: { clientMsgId: randomUUID(), conversationId, kind: "text", body: "hi", location: { lat: 1, lng: 1 } },
    });
    expect(textWithPlace.status).toBe(400);
    expect(await server.sync.heads(bob.user.id)).toEqual(before);
  });

  it("a recall takes the place (and its label) away", async () => {
    await start();
    const { ann, bob, conversationId } = await trio();
    const sent = await sendLocation(ann, conversationId, { lat: 10, lng: 20, label: "Home" });
    const recalled = await call<{ message: Message }>(server.app, "POST", `/api/messages/${sent.body.message.id}/recall`, { token: ann.token });
    expect(recalled.status).toBe(200);
    expect(recalled.body.message.location).toBeUndefined();
    const history = await call<{ messages: Message[] }>(server.app, "GET", `/api/conversations/${conversationId}/messages`, { token: bob.token });
    expect(history.body.messages.at(-1)).toMatchObject({ recalled: true });
    expect(history.body.messages.at(-1)?.location).toBeUndefined();
  });
});
