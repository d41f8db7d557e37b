import { randomUUID } from "node:crypto";
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type Entry, type Message, SESSION_TTL_MS } from "../../../shared/protocol/index.js";
import { SqliteEngine } from "../../storage/sqlite/engine.js";
import { Storage } from "../../storage/storage.js";
import { closeWebSocket, SESSION_RECHECK_MS } from "./ws-transport.js";
import {
  call,
  connect,
  type Client,
  emitAck,
  eventually,
  listen,
  openDirect,
  pullAll,
  refusal,
  register,
  sendHttp,
  startServer,
  tempDir,
  type TestServer,
} from "../../testing/harness.js";

let server: TestServer;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.disconnect();
  await server?.dispose();
});

function client(url: string, auth: Record<string, unknown>, headers?: Record<string, string>): Client {
  const c = connect(url, auth, headers);
  clients.push(c);
  return c;
}

const sendPayload = (conversationId: string, body = "hi") => ({ clientMsgId: randomUUID(), conversationId, kind: "text", body });

describe("websocket handshake", () => {
  it("refuses missing or bad credentials, a bad device id and a foreign origin", async () => {
    server = await startServer();
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const deviceId = randomUUID();

    const noToken = await refusal(client(url, { deviceId, protocol: 1 }));
    expect(noToken.data?.code).toBe("unauthorized");
    expect((await refusal(client(url, { token: "forged", deviceId, protocol: 1 }))).data?.code).toBe("unauthorized");
    expect((await refusal(client(url, { token: alice.token, deviceId: "not-a-uuid", protocol: 1 }))).data?.code).toBe("bad_request");
    expect((await refusal(client(url, { token: alice.token, protocol: 1 }))).data?.code).toBe("bad_request");
    expect((await refusal(client(url, { token: alice.token, deviceId, protocol: 2 }))).data?.code).toBe("bad_request");
    await refusal(client(url, { token: alice.token, deviceId, protocol: 1 }, { origin: "https://evil.example" }));

    // A device id is bound to the first account that used it.
    await client(url, { token: alice.token, deviceId, protocol: 1 }).hello;
    expect((await refusal(client(url, { token: bob.token, deviceId, protocol: 1 }))).data?.code).toBe("conflict");
  });

  it("accepts a cookie only together with our own Origin", async () => {
    server = await startServer();
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const cookie = `courier_session=${alice.token}`;
    const withoutOrigin = await refusal(client(url, { deviceId: randomUUID(), protocol: 1 }, { cookie }));
    expect(withoutOrigin.data?.code).toBe("forbidden");
    const hello = await client(url, { deviceId: randomUUID(), protocol: 1 }, { cookie, origin: url }).hello;
    expect(hello.userId).toBe(alice.user.id);
  });
});

describe("websocket sync", () => {
  it("sends hello first with heads, ring and heartbeat, then pushes only newer entries", async () => {
    server = await startServer({ ringCapacity: 300, heartbeatMs: 12_000, recallWindowMs: 45_000 });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const conv = await openDirect(server.app, alice, bob);
    await sendHttp(server.app, bob, conv.conversationId, "before");

    // Appends race the handshake: whatever lands must still come after hello.
    const deviceId = randomUUID();
    const racing = Array.from({ length: 20 }, (_, i) => sendHttp(server.app, bob, conv.conversationId, `race ${i}`));
    const c = client(url, { token: alice.token, deviceId, protocol: 1 });
    const hello = await c.hello;
    await Promise.all(racing);
    expect(hello).toMatchObject({ userId: alice.user.id, deviceId, ring: 300, heartbeatMs: 12_000, transport: "ws", recallWindowMs: 45_000 });
    expect(hello.heads.chat).toBeGreaterThanOrEqual(2);
    await sendHttp(server.app, bob, conv.conversationId, "after");

    await eventually(() => c.pushed.some((e) => (e.data as { message?: Message }).message?.body === "after"));
    expect(c.events[0]!.name).toBe("hello");
    expect(c.pushed.every((e) => e.v > hello.heads[e.d])).toBe(true);
    // hello.heads plus the pushes cover the domain without a gap or repeat. In
    // any order: on PostgreSQL two sends' commits are answered on different
    // connections, so even one process may push v+1 before v (protocol.md:
    // clients order pushes by version).
    const versions = c.pushed.map((e) => e.v).toSorted((a, b) => a - b);
    const head = (await pullAll(server.app, alice, "chat")).head;
    expect(versions).toEqual(Array.from({ length: head - hello.heads.chat }, (_, i) => hello.heads.chat + i + 1));
  });

  it("pushes to every live device of a user, the sender's other devices included", async () => {
    server = await startServer();
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const conv = await openDirect(server.app, alice, bob);
    const phone = client(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 });
    const laptop = client(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 });
    const bobs = client(url, { token: bob.token, deviceId: randomUUID(), protocol: 1 });
    await Promise.all([phone.hello, laptop.hello, bobs.hello]);

    const res = await emitAck<{ ok: boolean; message: Message }>(phone.socket, "send", sendPayload(conv.conversationId, "from phone"));
    expect(res).toMatchObject({ ok: true, message: { seq: 1, body: "from phone" } });
    for (const c of [phone, laptop, bobs]) {
      await eventually(() => c.pushed.some((e) => e.k === "msg" && (e.data as { message: Message }).message.id === res.message.id));
    }
    const devices = await call<{ devices: { online: boolean; transport: string }[] }>(server.app, "GET", "/api/devices", { token: alice.token });
    expect(devices.body.devices).toHaveLength(2);
    expect(devices.body.devices.every((d) => d.online && d.transport === "ws")).toBe(true);
  });

  it("answers pull and ack over the socket; the ack's delivered receipt is pushed to the sender", async () => {
    server = await startServer();
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const conv = await openDirect(server.app, alice, bob);
    const a = client(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 });
    const b = client(url, { token: bob.token, deviceId: randomUUID(), protocol: 1 });
    await Promise.all([a.hello, b.hello]);
    const sent = await emitAck<{ ok: true; message: Message }>(a.socket, "send", sendPayload(conv.conversationId));

    const pulled = await emitAck<{ ok: boolean; entries: Entry[]; head: number; reset: boolean }>(b.socket, "pull", { d: "chat", after: 0 });
    expect(pulled).toMatchObject({ ok: true, d: "chat", head: 2, reset: false });
    expect(pulled.entries.map((e) => e.k)).toEqual(["conv", "msg"]);

    const acked = await emitAck(b.socket, "ack", { acks: { chat: pulled.head } });
    expect(acked).toEqual({ ok: true, acks: { chat: 2, system: 0, marketing: 0 } });
    await eventually(() => a.pushed.some((e) => e.k === "delivered"));
    expect(a.pushed.find((e) => e.k === "delivered")!.data).toEqual({ conversationId: conv.conversationId, userId: bob.user.id, seq: sent.message.seq });
  });

  it("survives garbage payloads and missing callbacks, and changes nothing for them", async () => {
    server = await startServer();
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const conv = await openDirect(server.app, alice, bob);
    const c = client(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 });
    await c.hello;
    const heads = (await call(server.app, "GET", "/api/sync/snapshot", { token: alice.token })).body.heads;

    const garbage: unknown[] = [null, 42, "send", [], { conversationId: conv.conversationId }, { ...sendPayload(conv.conversationId), body: "x".repeat(4001) }, Buffer.from("bin")];
    for (const payload of garbage) {
      for (const event of ["send", "pull", "ack"] as const) {
        const res = await emitAck<{ ok: boolean; error: { code: string } }>(c.socket, event, payload);
        expect(res.ok, `${event} ${String(payload)}`).toBe(false);
        expect(res.error.code).toBe("bad_request");
      }
    }
    const emit = c.socket.emit as (...args: unknown[]) => unknown;
    emit.call(c.socket, "send", sendPayload(conv.conversationId, "no callback"));
    emit.call(c.socket, "send", { junk: true });
    emit.call(c.socket, "send", { junk: true }, "not a function");
    emit.call(c.socket, "pull");
    emit.call(c.socket, "ack", { acks: { chat: 1 } }, 17);
    emit.call(c.socket, "nonsense", 1, 2, 3);
    // The callback-only form works: no payload is a bad request, not a crash.
    const bare = await new Promise<{ ok: boolean }>((resolve) => emit.call(c.socket, "pull", resolve));
    expect(bare.ok).toBe(false);

    const ok = await emitAck<{ ok: boolean; message: Message }>(c.socket, "send", sendPayload(conv.conversationId, "still alive"));
    expect(ok.ok).toBe(true);
    const after = (await call(server.app, "GET", "/api/sync/snapshot", { token: alice.token })).body.heads as { chat: number };
    // Exactly the two real messages were added: "no callback" and "still alive".
    expect(after.chat).toBe((heads as { chat: number }).chat + 2);
    expect(c.socket.connected).toBe(true);
  });

  it("members only over the socket too", async () => {
    server = await startServer();
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const eve = await register(server.app, "eve");
    const conv = await openDirect(server.app, alice, bob);
    const c = client(url, { token: eve.token, deviceId: randomUUID(), protocol: 1 });
    await c.hello;
    const res = await emitAck(c.socket, "send", sendPayload(conv.conversationId));
    expect(res).toMatchObject({ ok: false, error: { code: "forbidden" } });
  });
});

describe("websocket sign-out", () => {
  it("logout closes that session's sockets and only those", async () => {
    server = await startServer();
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const other = await call<{ token: string }>(server.app, "POST", "/api/auth/login", { body: { username: "alice", password: "correct horse" } });
    const doomed = client(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 });
    const kept = client(url, { token: other.body.token, deviceId: randomUUID(), protocol: 1 });
    await Promise.all([doomed.hello, kept.hello]);
    const closed = new Promise<string>((resolve) => doomed.socket.once("disconnect", resolve));
    expect((await call(server.app, "POST", "/api/auth/logout", { token: alice.token })).status).toBe(204);
    expect(await closed).toBe("io server disconnect");
    expect(kept.socket.connected).toBe(true);
    expect(server.hub.connectionsOf(alice.user.id)).toHaveLength(1);
  });

  it("removing a device closes its socket", async () => {
    server = await startServer();
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const deviceId = randomUUID();
    const c = client(url, { token: alice.token, deviceId, protocol: 1 });
    await c.hello;
    const closed = new Promise<string>((resolve) => c.socket.once("disconnect", resolve));
    const other = await call<{ token: string }>(server.app, "POST", "/api/auth/login", { body: { username: "alice", password: "correct horse" } });
    expect((await call(server.app, "DELETE", `/api/devices/${deviceId}`, { token: other.body.token })).status).toBe(204);
    expect(await closed).toBe("io server disconnect");
  });
});

describe("websocket shutdown and rooms", () => {
  it("ends every socket from the server side on shutdown, without socket.io's rooms (which are off: a broadcast throws)", async () => {
    server = await startServer();
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const sockets = [client(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 }), client(url, { token: bob.token, deviceId: randomUUID(), protocol: 1 })];
    await Promise.all(sockets.map((c) => c.hello));
    // No socket sits in a room (the room of its own id cost every idle socket ~0.4 KB), and socket.io's
    // own broadcasts, which would reach no one, fail loudly.
    const adapter = server.io.of("/").adapter;
    expect([adapter.rooms.size, adapter.sids.size]).toEqual([0, 0]);
    expect(() => server.io.emit("push", [])).toThrow(/rooms are off/);
    expect(() => server.io.allSockets()).toThrow(/rooms are off/);
    const closed = sockets.map((c) => new Promise<string>((resolve) => c.socket.once("disconnect", resolve)));
    // The backstop of a graceful stop (after the hub's own close frames): every socket socket.io holds, ended.
    await closeWebSocket(server.io, { drainMs: 1000 });
    expect(await Promise.all(closed)).toEqual(["io server disconnect", "io server disconnect"]);
  });

  /**
   * A client that has stopped reading (a weak link, a suspended tab) while a large frame is on its way
   * to it: more than loopback's socket buffers hold, so whatever the server sends next waits behind it.
   */
  async function slowReader(opts: Parameters<typeof startServer>[1] = {}) {
    server = await startServer({}, { random: () => 0.5, ...opts });
    const url = await listen(server);
    const bob = await register(server.app, "bob");
    const slow = client(url, { token: bob.token, deviceId: randomUUID(), protocol: 1 });
    await slow.hello;
    // engine.io-client's WebSocket transport holds a `ws` WebSocket, which holds the TCP connection.
    const wire = (slow.socket.io.engine.transport as unknown as { ws: { _socket: Socket } }).ws._socket;
    wire.pause();
    const socket = [...server.io.of("/").sockets.values()][0]!;
    // An event the client has no use for; only its size matters.
    (socket.emit as (event: string, data: string) => void)("filler", "x".repeat(24 << 20));
    // The server's engine holds what comes next: its transport is still writing the filler a while later
    // (unread, it cannot finish; read, 24 MB cross loopback in a few milliseconds).
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(socket.conn.transport.writable).toBe(false);
    const ended = new Promise<string>((resolve) => slow.socket.once("disconnect", resolve));
    return { slow, wire, ended, closeFrames: () => slow.events.filter((e) => e.name === "close").map((e) => e.args[0]) };
  }

  it("a graceful stop waits for a client reading slowly to get its close frame, with its retry delay, before ending the engine", async () => {
    const { wire, ended, closeFrames } = await slowReader();
    const stopping = server.close();
    // The hub has told every connection (its frame queued behind the filler), and the stop is waiting.
    await eventually(() => server.hub.size === 0);
    wire.resume();
    expect(await ended).toBe("io server disconnect");
    expect(closeFrames()).toEqual([{ reason: "shutdown", retryAfterMs: 2750 }]);
    await stopping;
  });

  it("a client that never reads holds a graceful stop for shutdownDrainMs at most, then is cut", async () => {
    const { wire, ended, closeFrames } = await slowReader({ shutdownDrainMs: 50 });
    // The stop finishes while the client is still not reading.
    await server.close();
    wire.resume();
    expect(await ended).toBe("transport close");
    expect(closeFrames()).toEqual([]);
  });

  it("a handshake still being checked when the stop begins is refused too, not admitted after the connections were closed", async () => {
    server = await startServer();
    const url = await listen(server);
    const bob = await register(server.app, "bob");
    // The handshake's session lookup is held until the stop has begun.
    const read = server.storage.read.bind(server.storage);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => {
      server.storage.read = (async (fn: Parameters<typeof read>[0]) => {
        resolve();
        await held;
        return read(fn);
      }) as typeof read;
    });
    const late = client(url, { token: bob.token, deviceId: randomUUID(), protocol: 1 });
    const refused = refusal(late);
    await reached;
    server.storage.read = read;
    server.drain();
    release();
    expect((await refused).data).toEqual({ code: "unavailable", message: "This server is restarting; try again shortly.", retryAfterMs: 2000 });
    expect(server.hub.size).toBe(0);
  });

  it("a stopping server refuses new socket handshakes with unavailable and a retry delay", async () => {
    server = await startServer();
    const url = await listen(server);
    const bob = await register(server.app, "bob");
    server.drain();
    const late = client(url, { token: bob.token, deviceId: randomUUID(), protocol: 1 });
    expect((await refusal(late)).data).toEqual({ code: "unavailable", message: "This server is restarting; try again shortly.", retryAfterMs: 2000 });
    expect(server.hub.size).toBe(0);
  });
});

describe("websocket sessions that end", () => {
  it("closes a socket whose handshake completed while a logout of its session ran", async () => {
    const dir = tempDir();
    const real = new Storage(SqliteEngine.open({ dataDir: dir, ringCapacity: 2000 }));
    // The handshake looks the session up, then records the device (its next write), then joins the hub.
    // Run a whole logout in between: it finds no live connection to close.
    let beforeDevice: (() => Promise<void>) | null = null;
    const storage = new Proxy(real, {
      get(target, key) {
        if (key === "write") {
          return async (fn: Parameters<Storage["write"]>[0]) => {
            const hook = beforeDevice;
            beforeDevice = null;
            if (hook) await hook();
            return target.write(fn);
          };
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as Storage;
    try {
      server = await startServer({ dataDir: dir }, { storage });
      const url = await listen(server);
      const alice = await register(server.app, "alice");
      let loggedOut = 0;
      beforeDevice = async () => {
        loggedOut = (await call(server.app, "POST", "/api/auth/logout", { token: alice.token })).status;
      };
      const c = client(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 });
      const closed = new Promise<string>((resolve) => c.socket.once("disconnect", resolve));
      const outcome = await Promise.race([c.hello.then(() => "hello"), closed.then((reason) => `closed: ${reason}`)]);
      expect(loggedOut).toBe(204);
      expect(outcome).toBe("closed: io server disconnect");
      expect(server.hub.connectionsOf(alice.user.id)).toHaveLength(0);
      expect(c.events.map((e) => e.name)).not.toContain("hello");
    } finally {
      await server.close();
      await real.close();
    }
  });

  /** A server on a clock the test moves (`clock.now`), with alice and bob in a direct chat. */
  async function clockedChat() {
    const clock = { now: Date.now() };
    server = await startServer({}, { clock: () => clock.now });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const conv = await openDirect(server.app, alice, bob);
    return { clock, url, alice, bob, conv };
  }

  it("re-checks the session on send, pull and ack: an expired one gets unauthorized and is disconnected", async () => {
    const { clock, url, alice, bob, conv } = await clockedChat();
    const sockets = [0, 1, 2].map(() => client(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 }));
    await Promise.all(sockets.map((c) => c.hello));
    const headsBefore = await server.sync.heads(bob.user.id);

    clock.now += SESSION_TTL_MS + 1;
    const requests = [
      ["send", sendPayload(conv.conversationId, "after expiry")],
      ["pull", { d: "chat", after: 0 }],
      ["ack", { acks: { chat: 1 } }],
    ] as const;
    for (const [i, [event, payload]] of requests.entries()) {
      const c = sockets[i]!;
      const closed = new Promise<string>((resolve) => c.socket.once("disconnect", resolve));
      const res = await emitAck(c.socket, event, payload);
      expect(res, event).toMatchObject({ ok: false, error: { code: "unauthorized" } });
      expect(await closed).toBe("io server disconnect");
    }
    expect(server.hub.connectionsOf(alice.user.id)).toHaveLength(0);
    // Nothing was stored for the refused send.
    expect(await server.sync.heads(bob.user.id)).toEqual(headsBefore);
  });

  it("a socket whose session an administrator's sign_out revoked behind the hub's back is told why, then closed", async () => {
    const { clock, url, alice, conv } = await clockedChat();
    const c = client(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 });
    await c.hello;
    // Revoked in the database only, as a sign_out does (the hub is not told: another process's, a race with the handshake).
    await server.storage.write(async (tx) => {
      const ids = await tx.sessions.ofUser(alice.user.id);
      await tx.sessions.markRevoked(ids, randomUUID());
      await tx.sessions.deleteOfUser(alice.user.id);
    });
    clock.now += SESSION_RECHECK_MS + 1;
    const closed = new Promise<string>((resolve) => c.socket.once("disconnect", resolve));
    const res = await emitAck(c.socket, "send", sendPayload(conv.conversationId, "after the command"));
    expect(res).toMatchObject({ ok: false, error: { code: "unauthorized", reason: "signed_out_by_admin" } });
    expect(await closed).toBe("io server disconnect");
  });

  it("reads the session again at most every SESSION_RECHECK_MS: one revoked behind the hub's back is refused once that reading is due", async () => {
    const { clock, url, alice, conv } = await clockedChat();
    const c = client(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 });
    await c.hello;
    expect(await emitAck(c.socket, "send", sendPayload(conv.conversationId, "first"))).toMatchObject({ ok: true });

    // Deleted in the database only (the hub is not told, as after a race with the handshake).
    const [sessionId] = await server.storage.read(async (r) => r.sessions.ofUser(alice.user.id));
    await server.storage.write(async (tx) => tx.sessions.delete(sessionId!));
    clock.now += SESSION_RECHECK_MS - 1;
    expect(await emitAck(c.socket, "send", sendPayload(conv.conversationId, "within the window"))).toMatchObject({ ok: true });

    clock.now += 2;
    const closed = new Promise<string>((resolve) => c.socket.once("disconnect", resolve));
    expect(await emitAck(c.socket, "send", sendPayload(conv.conversationId, "after it"))).toMatchObject({ ok: false, error: { code: "unauthorized" } });
    expect(await closed).toBe("io server disconnect");
  });
});
