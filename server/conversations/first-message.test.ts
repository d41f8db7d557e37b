import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Entry, Snapshot, Summary } from "../../shared/protocol/index.js";
import { startRedis } from "../../scripts/provision/redis.js";
import type { RunningService } from "../../scripts/provision/service.js";
import { createTestSchema, type TestSchema } from "../testing/engines.js";
import { call, type Client, connect, eventually, listen, pullAll, register, sendHttp, type Session, startServer, type TestServer } from "../testing/harness.js";

/**
 * "Ask the seller" (or "Message" from user search) without writing opens the
 * chat on the opener's side only: the peer sees nothing (no `conv` entry, not
 * in their list or snapshot) until the first message, which brings it.
 */

let server: TestServer;
afterEach(async () => server?.dispose());

type App = TestServer["app"];

async function listItem(app: App, seller: Session, title = "Blue bike") {
  const res = await call<{ item: { id: string } }>(app, "POST", "/api/items", { token: seller.token, body: { title, priceCents: 5000 } });
  return res.body.item.id;
}

async function askSeller(app: App, buyer: Session, itemId: string): Promise<Summary> {
  const res = await call<{ summary: Summary }>(app, "POST", "/api/conversations", { token: buyer.token, body: { type: "item", itemId } });
  expect(res.status).toBe(201);
  return res.body.summary;
}

const convEntries = async (app: App, s: Session) => (await pullAll(app, s, "chat")).entries.filter((e) => e.k === "conv");
const summaryOf = (e: Entry) => (e.data as { summary: Summary }).summary;
const listed = async (app: App, s: Session) =>
  (await call<{ conversations: Summary[] }>(app, "GET", "/api/conversations", { token: s.token })).body.conversations.map((c) => c.conversationId);
const inSnapshot = async (app: App, s: Session) =>
  (await call<Snapshot>(app, "GET", "/api/sync/snapshot", { token: s.token })).body.conversations.map((c) => c.conversationId);

describe("a chat with no message yet", () => {
  it("an item chat: the seller sees nothing until the buyer writes, then a conv entry just before the message, and the list", async () => {
    server = await startServer();
    const { app } = server;
    const [seller, buyer] = [await register(app, "sam"), await register(app, "bea")];
    const { conversationId } = await askSeller(app, buyer, await listItem(app, seller));

    // The buyer has it at once, everywhere.
    expect(await listed(app, buyer)).toEqual([conversationId]);
    expect((await convEntries(app, buyer)).map((e) => summaryOf(e).conversationId)).toEqual([conversationId]);
    // The seller: nothing at all.
    expect((await pullAll(app, seller, "chat")).head).toBe(0);
    expect(await listed(app, seller)).toEqual([]);
    expect(await inSnapshot(app, seller)).toEqual([]);

    const m = await sendHttp(app, buyer, conversationId, "Is it still for sale?");
    const entries = (await pullAll(app, seller, "chat")).entries;
    expect(entries.map((e) => e.k)).toEqual(["conv", "msg"]);
    const revealed = summaryOf(entries[0]!);
    expect(revealed).toMatchObject({ conversationId, unread: 1, lastMessage: { id: m.id, seq: 1 }, item: { title: "Blue bike" } });
    expect(await listed(app, seller)).toEqual([conversationId]);
    expect(await inSnapshot(app, seller)).toEqual([conversationId]);
    // The buyer's side is not told again; the next message brings no second conv entry to the seller.
    expect(await convEntries(app, buyer)).toHaveLength(1);
    await sendHttp(app, buyer, conversationId, "I can pick it up today");
    expect(await convEntries(app, seller)).toHaveLength(1);
  });

  it("a direct chat from user search: the same, and the peer opening it too gets it at once", async () => {
    server = await startServer();
    const { app } = server;
    const [alice, bob] = [await register(app, "alice"), await register(app, "bob")];
    const open = (s: Session, peer: Session) => call<{ summary: Summary }>(app, "POST", "/api/conversations", { token: s.token, body: { type: "direct", peerId: peer.user.id } });
    const { conversationId } = (await open(alice, bob)).body.summary;
    expect((await pullAll(app, bob, "chat")).head).toBe(0);
    expect(await listed(app, bob)).toEqual([]);
    // Bob opens the same chat from his search: the answer carries it (200, nothing new created).
    const again = await open(bob, alice);
    expect([again.status, again.body.summary.conversationId]).toEqual([200, conversationId]);

    await sendHttp(app, alice, conversationId, "hi Bob");
    expect((await pullAll(app, bob, "chat")).entries.map((e) => e.k)).toEqual(["conv", "msg"]);
    expect(await listed(app, bob)).toEqual([conversationId]);
  });

  it("the peer who writes first gets the conv entry too (their other devices hold the chat when the message lands)", async () => {
    server = await startServer();
    const { app } = server;
    const [seller, buyer] = [await register(app, "sam"), await register(app, "bea")];
    const { conversationId } = await askSeller(app, buyer, await listItem(app, seller));
    // The seller found it by id (GET /api/conversations/:id works for a member) and writes first.
    expect((await call(app, "GET", `/api/conversations/${conversationId}`, { token: seller.token })).status).toBe(200);
    await sendHttp(app, seller, conversationId, "Hello!");
    expect((await pullAll(app, seller, "chat")).entries.map((e) => e.k)).toEqual(["conv", "msg"]);
    expect((await pullAll(app, buyer, "chat")).entries.map((e) => e.k)).toEqual(["conv", "msg"]);
  });

  it("a sale elsewhere tells no seller about an empty chat; a purchase without a chat brings it with the order's line", async () => {
    server = await startServer();
    const { app } = server;
    const [seller, asker, payer] = [await register(app, "sam"), await register(app, "ann"), await register(app, "pat")];
    const itemId = await listItem(app, seller);
    const asked = await askSeller(app, asker, itemId);
    const bought = await call<{ order: { conversationId: string } }>(app, "POST", "/api/orders", { token: payer.token, body: { itemId } });
    expect(bought.status).toBe(201);
    // The asker hears the listing is sold (their summary carries the item); the seller hears only of the sale.
    expect((await convEntries(app, asker)).map((e) => summaryOf(e).item?.status)).toEqual(["listed", "sold"]);
    const sellers = await convEntries(app, seller);
    expect(sellers.map((e) => summaryOf(e).conversationId)).toEqual([bought.body.order.conversationId]);
    expect(await listed(app, seller)).toEqual([bought.body.order.conversationId]);
    expect(await listed(app, seller)).not.toContain(asked.conversationId);
  });

  it("an empty item chat stored before this rule (no opener recorded) stays off the seller's list until its first message", async () => {
    server = await startServer();
    const { app, storage } = server;
    const [seller, buyer] = [await register(app, "sam"), await register(app, "bea")];
    const itemId = await listItem(app, seller);
    const conversationId = randomUUID();
    const member = (userId: string) => ({ userId, role: "member" as const, state: "member" as const, addedBy: null });
    await storage.write(async (tx) => {
      await tx.conversations.insert({ id: conversationId, type: "item", itemId, title: null, uniqueKey: `item:${itemId}:${buyer.user.id}`, at: 1 }, [
        member(buyer.user.id),
        member(seller.user.id),
      ]);
    });
    expect(await listed(app, buyer)).toEqual([conversationId]);
    expect(await listed(app, seller)).toEqual([]);
    expect(await inSnapshot(app, seller)).toEqual([]);
    // "Ask the seller" again finds it (200) and still tells the seller nothing.
    const again = await call<{ summary: Summary }>(app, "POST", "/api/conversations", { token: buyer.token, body: { type: "item", itemId } });
    expect([again.status, again.body.summary.conversationId]).toEqual([200, conversationId]);
    expect((await pullAll(app, seller, "chat")).head).toBe(0);

    await sendHttp(app, buyer, conversationId, "Still there?");
    expect((await pullAll(app, seller, "chat")).entries.map((e) => e.k)).toEqual(["conv", "msg"]);
    expect(await listed(app, seller)).toEqual([conversationId]);
  });
});

/** Two processes on one PostgreSQL schema and one Redis: the seller's phone on B hears of the chat when the buyer writes on A. */
const clustered = Boolean(process.env.TEST_DATABASE_URL);
describe.skipIf(!clustered)("a chat with no message yet, across processes", () => {
  let redis: RunningService;
  let schema: TestSchema | undefined;
  const servers: TestServer[] = [];
  const clients: Client[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.disconnect();
    await Promise.all(servers.splice(0).map((s) => s.dispose()));
    await schema?.drop();
  });

  it("the seller's socket on B gets nothing at 'Ask the seller' on A, then the conv entry and the message", async () => {
    schema = await createTestSchema();
    for (let i = 0; i < 2; i++) servers.push(await startServer({ databaseUrl: schema.url, redisUrl: redis.url }));
    const [a, b] = servers as [TestServer, TestServer];
    const urlB = await listen(b);
    await eventually(() => servers.every((s) => s.cluster.link?.up === true));
    const [seller, buyer] = [await register(a.app, "sam"), await register(a.app, "bea")];
    const phone = connect(urlB, { token: seller.token, deviceId: randomUUID(), protocol: 1 });
    clients.push(phone);
    await phone.hello;

    const { conversationId } = await askSeller(a.app, buyer, await listItem(a.app, seller));
    expect(await listed(b.app, seller)).toEqual([]);
    await sendHttp(a.app, buyer, conversationId, "Is it still for sale?");
    await eventually(() => phone.pushed.some((e) => e.k === "msg"), 5000);
    // Everything the phone was pushed: the conv entry first (the chat, about the item), then the message.
    expect(phone.pushed.filter((e) => e.d === "chat").map((e) => e.k)).toEqual(["conv", "msg"]);
    expect(summaryOf(phone.pushed[0]!)).toMatchObject({ conversationId, item: { title: "Blue bike" } });
    expect(await listed(b.app, seller)).toEqual([conversationId]);
  });
});
