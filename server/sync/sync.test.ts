import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { Entry, Snapshot } from "../../shared/protocol/index.js";
import {
  call,
  connect,
  emitAck,
  listen,
  openDirect,
  pullAll,
  register,
  sendHttp,
  startServer,
  type Session,
  type TestServer,
} from "../testing/harness.js";

let server: TestServer;
afterEach(async () => server?.dispose());

async function device(server: TestServer, s: Session): Promise<string> {
  const id = randomUUID();
  const res = await call(server.app, "PUT", `/api/devices/${id}`, { token: s.token, body: { protocol: 1, capabilities: ["ack"] } });
  expect(res.status).toBe(200);
  return id;
}

const ack = (server: TestServer, s: Session, deviceId: string | null, acks: unknown) =>
  call<{ acks: Record<string, number> }>(server.app, "POST", "/api/sync/ack", {
    token: s.token,
    body: { acks },
    headers: deviceId ? { "x-device-id": deviceId } : {},
  });

describe("pull and the ring", () => {
  it("pulls contiguous versions after a point, with limit; after > head is just empty", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const conv = await openDirect(app, alice, bob);
    for (let i = 0; i < 5; i++) await sendHttp(app, alice, conv.conversationId, `m${i}`);
    const all = await pullAll(app, bob, "chat");
    expect(all.entries.map((e) => e.v)).toEqual([1, 2, 3, 4, 5, 6]);
    const page = await call<{ entries: Entry[]; head: number; reset: boolean; d: string }>(app, "GET", "/api/sync/chat?after=2&limit=2", { token: bob.token });
    expect(page.body).toMatchObject({ d: "chat", head: 6, reset: false });
    expect(page.body.entries.map((e) => e.v)).toEqual([3, 4]);
    const beyond = await call(app, "GET", "/api/sync/chat?after=50", { token: bob.token });
    expect(beyond.body).toMatchObject({ entries: [], head: 6, reset: false });
    expect((await pullAll(app, bob, "system")).head).toBe(0);
  });

  it("sparse pulls: of the page, only the versions asked for, over HTTP and the socket; a bad list is a 400", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const conv = await openDirect(app, alice, bob);
    for (let i = 0; i < 9; i++) await sendHttp(app, alice, conv.conversationId, `m${i}`);
    type Page = { entries: Entry[]; head: number; reset: boolean };
    const sparse = await call<Page>(app, "GET", "/api/sync/chat?after=2&limit=6&only=3,5-6,8", { token: bob.token });
    expect(sparse.body).toMatchObject({ head: 10, reset: false });
    expect(sparse.body.entries.map((e) => e.v)).toEqual([3, 5, 6, 8]);
    // Versions past the page are not sent: `only` narrows the page, never widens it.
    const narrow = await call<Page>(app, "GET", "/api/sync/chat?after=2&limit=2&only=3,9", { token: bob.token });
    expect(narrow.body.entries.map((e) => e.v)).toEqual([3]);

    const b = connect(await listen(server), { token: bob.token, deviceId: randomUUID(), protocol: 1 });
    await b.hello;
    const overSocket = await emitAck<Page & { ok: boolean }>(b.socket, "pull", { d: "chat", after: 0, limit: 10, only: "1,10" });
    expect(overSocket.entries.map((e) => e.v)).toEqual([1, 10]);
    b.socket.disconnect();

    for (const only of ["2,1", "3,3", "3,4", "3-4,5", "2", "1-x", "", "3-2", "99999999999999999", Array.from({ length: 65 }, (_, i) => 2 * i + 3).join(",")]) {
      const bad = await call<{ error: { code: string; message: string } }>(app, "GET", `/api/sync/chat?after=2&only=${only}`, { token: bob.token });
      expect(bad.status, only).toBe(400);
      expect(bad.body.error.code).toBe("bad_request");
      expect(bad.body.error.message).toMatch(/^Only must list/);
    }
  });

  it("answers reset once a client fell off the ring, and serves pulls within it", async () => {
    server = await startServer({ ringCapacity: 5 });
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const conv = await openDirect(app, alice, bob);
    for (let i = 0; i < 12; i++) await sendHttp(app, alice, conv.conversationId, `m${i}`);
    const fromZero = await pullAll(app, bob, "chat", 0);
    expect(fromZero).toMatchObject({ entries: [], head: 13, reset: true });
    const edge = await pullAll(app, bob, "chat", 8); // 13 - 5: the oldest point still served
    expect(edge.reset).toBe(false);
    expect(edge.entries.map((e) => e.v)).toEqual([9, 10, 11, 12, 13]);
    expect((await pullAll(app, bob, "chat", 7)).reset).toBe(true);
  });

  it("answers reset instead of skipping versions after a restart with a larger ring on the same DATA_DIR", async () => {
    server = await startServer({ ringCapacity: 10 });
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const conv = await openDirect(server.app, alice, bob);
    for (let i = 0; i < 29; i++) await sendHttp(server.app, alice, conv.conversationId, `m${i}`);
    const dir = server.dir;
    await server.close();

    // Under the old ring only 21..30 were kept; the new ring's size says nothing about that.
    server = await startServer({ dataDir: dir, ringCapacity: 2000 });
    const behind = await pullAll(server.app, bob, "chat", 5);
    expect(behind).toMatchObject({ entries: [], head: 30, reset: true });
    const within = await pullAll(server.app, bob, "chat", 20);
    expect(within.reset).toBe(false);
    expect(within.entries.map((e) => e.v)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    // The socket answers the same.
    const url = await listen(server);
    const c = connect(url, { token: bob.token, deviceId: randomUUID(), protocol: 1 });
    try {
      await c.hello;
      expect(await emitAck(c.socket, "pull", { d: "chat", after: 5 })).toMatchObject({ ok: true, entries: [], head: 30, reset: true });
    } finally {
      c.socket.disconnect();
    }
  });

  it("refuses to sync another account's data to a device that belongs to someone else", async () => {
    server = await startServer();
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    await openDirect(server.app, alice, bob);
    const alicesDevice = await device(server, alice);
    // Bob's session presents Alice's device id (another tab signed in as Bob on her profile).
    const headers = { "x-device-id": alicesDevice };
    const pulled = await call<{ error: { code: string } }>(server.app, "GET", "/api/sync/chat?after=0", { token: bob.token, headers });
    expect(pulled.status).toBe(409);
    expect(pulled.body.error.code).toBe("conflict");
    const snap = await call(server.app, "GET", "/api/sync/snapshot", { token: bob.token, headers });
    expect(snap.status).toBe(409);
    // Without a device id, or with his own, Bob syncs as usual.
    expect((await call(server.app, "GET", "/api/sync/chat?after=0", { token: bob.token })).status).toBe(200);
  });

  it("keeps versions across a restart on the same DATA_DIR", async () => {
    server = await startServer();
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const conv = await openDirect(server.app, alice, bob);
    await sendHttp(server.app, alice, conv.conversationId);
    const dir = server.dir;
    await server.close();
    server = await startServer({ dataDir: dir });
    await sendHttp(server.app, alice, conv.conversationId);
    expect((await pullAll(server.app, bob, "chat")).entries.map((e) => e.v)).toEqual([1, 2, 3]);
  });
});

describe("snapshot", () => {
  it("returns heads, my summaries and the newest 50 messages per conversation, ascending", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const carol = await register(app, "carol");
    const ab = await openDirect(app, alice, bob);
    const ac = await openDirect(app, alice, carol);
    for (let i = 1; i <= 55; i++) await sendHttp(app, bob, ab.conversationId, `m${i}`);
    await sendHttp(app, carol, ac.conversationId, "hi");
    const snap = (await call<Snapshot>(app, "GET", "/api/sync/snapshot", { token: alice.token })).body;
    expect(snap.heads).toEqual({ chat: 2 + 56, system: 0, marketing: 0 });
    expect(snap.conversations.map((s) => s.conversationId).sort()).toEqual([ab.conversationId, ac.conversationId].sort());
    expect(snap.conversations.find((s) => s.conversationId === ab.conversationId)?.unread).toBe(55);
    const msgs = snap.messages[ab.conversationId]!;
    expect(msgs).toHaveLength(50);
    expect(msgs[0]!.seq).toBe(6);
    expect(msgs.at(-1)!.seq).toBe(55);
    expect(snap.messages[ac.conversationId]!.map((m) => m.body)).toEqual(["hi"]);
    const bobSnap = (await call<Snapshot>(app, "GET", "/api/sync/snapshot", { token: bob.token })).body;
    expect(Object.keys(bobSnap.messages)).toEqual([ab.conversationId]);
  });
});

describe("acks and receipts", () => {
  it("never move an ack backwards, never past the head, and need a device of mine", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const conv = await openDirect(app, alice, bob);
    for (let i = 0; i < 4; i++) await sendHttp(app, alice, conv.conversationId);
    const dev = await device(server, bob);
    expect((await ack(server, bob, dev, { chat: 3 })).body.acks).toEqual({ chat: 3, system: 0, marketing: 0 });
    expect((await ack(server, bob, dev, { chat: 1 })).body.acks.chat).toBe(3);
    expect((await ack(server, bob, dev, { chat: 999 })).body.acks.chat).toBe(5);
    expect((await ack(server, bob, null, { chat: 1 })).status).toBe(400);
    const alicesDevice = await device(server, alice);
    expect((await ack(server, bob, alicesDevice, { chat: 1 })).status).toBe(403);
    expect((await ack(server, bob, dev, {})).status).toBe(400);
    expect((await ack(server, bob, dev, { chat: -1 })).status).toBe(400);
    expect((await ack(server, bob, dev, { news: 1 })).status).toBe(400);
  });

  it("delivered and read receipts reach the sender", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const conv = await openDirect(app, alice, bob);
    await sendHttp(app, alice, conv.conversationId, "one");
    const m2 = await sendHttp(app, alice, conv.conversationId, "two");
    const dev = await device(server, bob);
    const bobHead = (await pullAll(app, bob, "chat")).head;
    const aliceHead = (await pullAll(app, alice, "chat")).head;

    await ack(server, bob, dev, { chat: bobHead });
    const delivered = (await pullAll(app, alice, "chat", aliceHead)).entries;
    expect(delivered).toMatchObject([{ k: "delivered", data: { conversationId: conv.conversationId, userId: bob.user.id, seq: m2.seq } }]);
    // Bob got no receipt about himself.
    expect((await pullAll(app, bob, "chat")).head).toBe(bobHead);
    // A second device acking the same range adds nothing.
    const dev2 = await device(server, bob);
    await ack(server, bob, dev2, { chat: bobHead });
    expect((await pullAll(app, alice, "chat", aliceHead)).entries).toHaveLength(1);

    const read = await call(app, "POST", `/api/conversations/${conv.conversationId}/read`, { token: bob.token, body: { seq: m2.seq } });
    expect(read.status).toBe(200);
    const aliceSees = (await pullAll(app, alice, "chat", aliceHead)).entries.at(-1);
    expect(aliceSees).toMatchObject({ k: "read", data: { conversationId: conv.conversationId, userId: bob.user.id, seq: m2.seq } });
    // Bob's other devices learn it too, so they clear unread.
    expect((await pullAll(app, bob, "chat", bobHead)).entries).toMatchObject([{ k: "read", data: { userId: bob.user.id, seq: m2.seq } }]);
    const summary = await call<{ summary: { receipts: unknown[] } }>(app, "GET", `/api/conversations/${conv.conversationId}`, { token: alice.token });
    expect(summary.body.summary.receipts).toContainEqual({ userId: bob.user.id, deliveredSeq: 2, readSeq: 2 });
  });
});
