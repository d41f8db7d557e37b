import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { BLOCKED_MESSAGE, type Entry, type Item, type Summary } from "../../shared/protocol/index.js";
import { DEFAULT_PUSH_CONFIG, DEFAULT_RATE_LIMITS } from "../config.js";
import type { Timers } from "../push/collapse.js";
import { ScriptedPushService } from "../push/testing/scripted-push.js";
import { call, openDirect, pullAll, register, sendHttp, type Session, startServer, type TestServer } from "../testing/harness.js";

/** Blocks and reports (docs/protocol.md "Safety (issue 14)"), on the engine the tests run on (SQLite, or PostgreSQL in server-on-postgres). */

let server: TestServer;
afterEach(async () => server?.dispose());

const ADMIN = "admin-token-0123456789";
const admin = { authorization: `Bearer ${ADMIN}` };

const send = (s: Session, conversationId: string, body = "hello") =>
  call(server.app, "POST", "/api/messages", { token: s.token, body: { clientMsgId: randomUUID(), conversationId, kind: "text", body } });
const blockUser = (s: Session, target: Session) => call(server.app, "POST", `/api/users/${target.user.id}/block`, { token: s.token });
const unblockUser = (s: Session, target: Session) => call(server.app, "DELETE", `/api/users/${target.user.id}/block`, { token: s.token });
const blocksEntries = async (s: Session) => (await pullAll(server.app, s, "system")).entries.filter((e) => e.k === "blocks");
const chatHead = async (s: Session) => (await pullAll(server.app, s, "chat")).head;
const report = (s: Session, body: unknown) => call<{ report: Record<string, unknown> }>(server.app, "POST", "/api/reports", { token: s.token, body });
const adminReports = (query = "") => call<{ reports: { report: { id: string; type: string }; reporter: unknown; target: Record<string, unknown> }[]; cursor?: string }>(
  server.app,
  "GET",
  `/api/admin/reports${query}`,
  { headers: admin },
);

async function listing(seller: Session, title = "Bike"): Promise<Item> {
  const res = await call<{ item: Item }>(server.app, "POST", "/api/items", { token: seller.token, body: { title, priceCents: 12_000 } });
  expect(res.status).toBe(201);
  return res.body.item;
}

/** A clock one millisecond on at every reading: reports made one after another never share a time (newest first is exact). */
function ticking() {
  let now = Date.parse("2026-03-10T10:00:00Z");
  return () => ++now;
}

async function people() {
  server = await startServer({ adminToken: ADMIN }, { clock: ticking() });
  return { alice: await register(server.app, "alice"), bob: await register(server.app, "bob"), carol: await register(server.app, "carol") };
}

describe("blocking", () => {
  it("blocks idempotently, lists the blocked, and tells every device of the blocker the whole list as a blocks entry", async () => {
    const { alice, bob, carol } = await people();
    const first = await blockUser(alice, bob);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ blocked: true, user: bob.user });
    expect((await blockUser(alice, bob)).status).toBe(200);
    expect((await blockUser(alice, carol)).status).toBe(201);
    expect((await call(server.app, "GET", "/api/blocks", { token: alice.token })).body).toEqual({ users: [bob.user, carol.user] });
    expect((await blocksEntries(alice)).map((e) => e.data)).toEqual([{ userIds: [bob.user.id] }, { userIds: [bob.user.id, carol.user.id] }]);

    expect((await unblockUser(alice, bob)).status).toBe(204);
    expect((await unblockUser(alice, bob)).status).toBe(204);
    expect((await call(server.app, "GET", "/api/blocks", { token: alice.token })).body).toEqual({ users: [carol.user] });
    expect((await blocksEntries(alice)).map((e) => e.data)).toEqual([
      { userIds: [bob.user.id] },
      { userIds: [bob.user.id, carol.user.id] },
      { userIds: [carol.user.id] },
    ]);
    // The blocked are told nothing.
    expect(await blocksEntries(bob)).toEqual([]);
    expect((await call(server.app, "GET", "/api/blocks", { token: bob.token })).body).toEqual({ users: [] });
  });

  it("refuses yourself (400), unknown users (404), bad ids (400) and anonymous callers (401), changing nothing", async () => {
    const { alice } = await people();
    expect((await blockUser(alice, alice)).status).toBe(400);
    expect((await call(server.app, "POST", `/api/users/${randomUUID()}/block`, { token: alice.token })).status).toBe(404);
    expect((await call(server.app, "POST", `/api/users/${"x".repeat(65)}/block`, { token: alice.token })).status).toBe(400);
    expect((await call(server.app, "POST", `/api/users/${alice.user.id}/block`)).status).toBe(401);
    expect((await call(server.app, "GET", "/api/blocks")).status).toBe(401);
    expect(await blocksEntries(alice)).toEqual([]);
  });

  it("stops a direct chat both ways with 403 and the sentence, appending nothing; unblocking lets them talk again", async () => {
    const { alice, bob } = await people();
    const conv = (await openDirect(server.app, alice, bob)).conversationId;
    await sendHttp(server.app, bob, conv, "before");
    expect((await blockUser(alice, bob)).status).toBe(201);
    const heads = [await chatHead(alice), await chatHead(bob)];
    for (const [from, body] of [
      [bob, "from the blocked"],
      [alice, "from the blocker"],
    ] as const) {
      const refused = await send(from, conv, body);
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({ error: { code: "forbidden", message: BLOCKED_MESSAGE, reason: "blocked" } });
    }
    expect([await chatHead(alice), await chatHead(bob)]).toEqual(heads);
    const history = await call<{ messages: { body: string }[] }>(server.app, "GET", `/api/conversations/${conv}/messages`, { token: alice.token });
    expect(history.body.messages.map((m) => m.body)).toEqual(["before"]);

    expect((await unblockUser(alice, bob)).status).toBe(204);
    expect((await send(bob, conv, "after")).status).toBe(201);
    expect((await send(alice, conv, "welcome back")).status).toBe(201);
  });

  it("refuses a new direct or item chat between them either way (403); an existing one still opens", async () => {
    const { alice, bob, carol } = await people();
    const existing = await openDirect(server.app, alice, carol);
    const bobsBike = await listing(bob);
    const alicesLamp = await listing(alice, "Lamp");
    await blockUser(alice, bob);
    await blockUser(alice, carol);
    const open = (s: Session, body: unknown) => call<{ summary: Summary }>(server.app, "POST", "/api/conversations", { token: s.token, body });
    expect((await open(alice, { type: "direct", peerId: bob.user.id })).status).toBe(403);
    expect((await open(bob, { type: "direct", peerId: alice.user.id })).status).toBe(403);
    expect((await open(alice, { type: "item", itemId: bobsBike.id })).status).toBe(403);
    expect((await open(bob, { type: "item", itemId: alicesLamp.id })).status).toBe(403);
    expect((await call(server.app, "GET", "/api/conversations", { token: bob.token })).body).toEqual({ conversations: [] });
    const again = await open(carol, { type: "direct", peerId: alice.user.id });
    expect(again.status).toBe(200);
    expect(again.body.summary.conversationId).toBe(existing.conversationId);
    expect((await send(carol, existing.conversationId)).status).toBe(403);
  });

  it("stops an item chat both ways", async () => {
    const { alice, bob } = await people();
    const bike = await listing(bob);
    const opened = await call<{ summary: Summary }>(server.app, "POST", "/api/conversations", { token: alice.token, body: { type: "item", itemId: bike.id } });
    const conv = opened.body.summary.conversationId;
    expect((await send(alice, conv, "is it available?")).status).toBe(201);
    await blockUser(bob, alice);
    expect((await send(alice, conv, "hello?")).body).toEqual({ error: { code: "forbidden", message: BLOCKED_MESSAGE, reason: "blocked" } });
    expect((await send(bob, conv, "sold")).status).toBe(403);
    // An offer is a message too.
    const offer = await call(server.app, "POST", "/api/offers", { token: alice.token, body: { itemId: bike.id, priceCents: 10_000 } });
    expect(offer.body).toEqual({ error: { code: "forbidden", message: BLOCKED_MESSAGE, reason: "blocked" } });
  });

  it("leaves groups alone: a blocked member's message still reaches everyone, the blocker included (their app hides it)", async () => {
    const { alice, bob, carol } = await people();
    // Following the creator lets them join at once (the consent rule, docs/groups.md).
    for (const s of [bob, carol]) await call(server.app, "POST", `/api/users/${alice.user.id}/follow`, { token: s.token });
    const group = await call<{ summary: Summary }>(server.app, "POST", "/api/conversations", {
      token: alice.token,
      body: { type: "group", title: "Club", memberIds: [bob.user.id, carol.user.id] },
    });
    const conv = group.body.summary.conversationId;
    await blockUser(alice, bob);
    const m = await sendHttp(server.app, bob, conv, "hi all");
    const got = async (s: Session) => (await pullAll(server.app, s, "chat")).entries.filter((e: Entry) => e.k === "msg").map((e) => (e.data as { message: { id: string } }).message.id);
    expect(await got(carol)).toContain(m.id);
    expect(await got(alice)).toContain(m.id);
    expect((await send(alice, conv, "and me")).status).toBe(201);
  });
});

describe("push and blocks", () => {
  it("never notifies a blocker of a message from someone they block (in a group), while others are notified", async () => {
    const service = new ScriptedPushService();
    const manual: Timers = { setTimeout: () => null, clearTimeout: () => {} };
    server = await startServer(
      { push: { ...DEFAULT_PUSH_CONFIG, subject: "mailto:ops@courier.example" } },
      { push: { timers: manual, resolve: async () => ["93.184.216.34"], transport: service.transport } },
    );
    const settle = async () => {
      await server.push.quiet();
      server.push.flushWindows();
      await server.push.idle();
    };
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const carol = await register(server.app, "carol");
    for (const s of [bob, carol]) await call(server.app, "POST", `/api/users/${alice.user.id}/follow`, { token: s.token });
    const group = await call<{ summary: Summary }>(server.app, "POST", "/api/conversations", {
      token: alice.token,
      body: { type: "group", title: "Club", memberIds: [bob.user.id, carol.user.id] },
    });
    await settle();
    const alicePhone = await service.subscribe(server.app, alice);
    const carolPhone = await service.subscribe(server.app, carol);
    await blockUser(alice, bob);
    await sendHttp(server.app, bob, group.body.summary.conversationId, "buy my stuff");
    await settle();
    const chats = (endpoint: string) => service.to(endpoint).filter((p) => p.category === "chat");
    expect(chats(carolPhone.endpoint)).toHaveLength(1);
    expect(chats(alicePhone.endpoint)).toHaveLength(0);
    // Carol's message in the same group still reaches Alice.
    await sendHttp(server.app, carol, group.body.summary.conversationId, "hello");
    await settle();
    expect(chats(alicePhone.endpoint)).toHaveLength(1);
  });
});

describe("reports", () => {
  it("takes a report of a message, a user or a listing the reporter can see (201), storing ids and never the text", async () => {
    const { alice, bob } = await people();
    const conv = (await openDirect(server.app, alice, bob)).conversationId;
    const m = await sendHttp(server.app, bob, conv, "send the money by bank transfer to 12345678");
    const bike = await listing(bob);
    const ofMessage = await report(alice, { type: "message", id: m.id, reason: "scam", note: "asked me to pay outside" });
    expect(ofMessage.status).toBe(201);
    expect(ofMessage.body.report).toEqual({
      id: expect.any(String),
      reporterId: alice.user.id,
      type: "message",
      targetId: m.id,
      reason: "scam",
      note: "asked me to pay outside",
      conversationId: conv,
      senderId: bob.user.id,
      at: expect.any(Number),
    });
    expect((await report(alice, { type: "user", id: bob.user.id, reason: "offensive" })).status).toBe(201);
    expect((await report(alice, { type: "item", id: bike.id, reason: "prohibited" })).status).toBe(201);
    const stored = await server.storage.read(async (r) => r.safety.reports(null, 10));
    expect(stored).toHaveLength(3);
    expect(JSON.stringify(stored)).not.toContain("bank transfer");
  });

  it("answers 404 for what the reporter can't see and 400 for bad input, storing nothing", async () => {
    const { alice, bob, carol } = await people();
    const conv = (await openDirect(server.app, bob, carol)).conversationId;
    const theirs = await sendHttp(server.app, bob, conv, "private");
    const mine = await sendHttp(server.app, alice, (await openDirect(server.app, alice, bob)).conversationId, "mine");
    const bike = await listing(alice);
    expect((await report(alice, { type: "message", id: theirs.id, reason: "spam" })).status).toBe(404);
    expect((await report(alice, { type: "message", id: randomUUID(), reason: "spam" })).status).toBe(404);
    expect((await report(alice, { type: "user", id: randomUUID(), reason: "spam" })).status).toBe(404);
    expect((await report(alice, { type: "item", id: randomUUID(), reason: "spam" })).status).toBe(404);
    expect((await report(alice, { type: "message", id: mine.id, reason: "spam" })).status).toBe(400);
    expect((await report(alice, { type: "user", id: alice.user.id, reason: "spam" })).status).toBe(400);
    expect((await report(alice, { type: "item", id: bike.id, reason: "spam" })).status).toBe(400);
    for (const body of [
      { type: "post", id: bob.user.id, reason: "spam" },
      { type: "user", id: bob.user.id, reason: "rude" },
      { type: "user", id: bob.user.id },
      { type: "user", id: bob.user.id, reason: "spam", note: "x".repeat(501) },
      { type: "user", id: bob.user.id, reason: "spam", note: "   " },
      { type: "user", id: bob.user.id, reason: "spam", extra: true },
      "nonsense",
    ]) {
      const res = await report(alice, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { code: "bad_request" } });
    }
    expect((await call(server.app, "POST", "/api/reports", { body: { type: "user", id: bob.user.id, reason: "spam" } })).status).toBe(401);
    expect(await server.storage.read(async (r) => r.safety.reports(null, 10))).toEqual([]);
  });

  it("is rate-limited per user (429)", async () => {
    server = await startServer({ adminToken: ADMIN, rateLimits: { ...DEFAULT_RATE_LIMITS, reportsPerUser: { limit: 2, windowMs: 3_600_000 } } });
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const body = { type: "user", id: bob.user.id, reason: "spam" };
    expect((await report(alice, body)).status).toBe(201);
    expect((await report(alice, body)).status).toBe(201);
    expect((await report(alice, body)).status).toBe(429);
    expect((await report(bob, { ...body, id: alice.user.id })).status).toBe(201);
  });

  it("lists reports for admins only, newest first, a page at a time, with the reporter and the target as it is now", async () => {
    const { alice, bob, carol } = await people();
    const conv = (await openDirect(server.app, alice, bob)).conversationId;
    const m = await sendHttp(server.app, bob, conv, "rude words");
    const bike = await listing(bob);
    await report(alice, { type: "message", id: m.id, reason: "offensive" });
    await report(carol, { type: "item", id: bike.id, reason: "prohibited" });
    await report(carol, { type: "user", id: bob.user.id, reason: "scam" });

    expect((await call(server.app, "GET", "/api/admin/reports")).status).toBe(401);
    expect((await call(server.app, "GET", "/api/admin/reports", { token: alice.token })).status).toBe(401);

    const first = await adminReports("?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.reports.map((r) => r.report.type)).toEqual(["user", "item"]);
    expect(first.body.reports[0]).toMatchObject({ reporter: carol.user, target: { type: "user", user: bob.user } });
    expect(first.body.reports[1]).toMatchObject({ target: { type: "item", item: { id: bike.id } } });
    expect(first.body.cursor).toEqual(expect.any(String));
    const second = await adminReports(`?limit=2&cursor=${first.body.cursor}`);
    expect(second.body.cursor).toBeUndefined();
    expect(second.body.reports).toEqual([
      {
        report: expect.objectContaining({ type: "message", targetId: m.id, conversationId: conv, senderId: bob.user.id }),
        reporter: alice.user,
        target: { type: "message", message: expect.objectContaining({ id: m.id, body: "rude words" }), sender: bob.user },
      },
    ]);

    // A recall removes the text from the admins' view too: the report never held it.
    expect((await call(server.app, "POST", `/api/messages/${m.id}/recall`, { token: bob.token })).status).toBe(200);
    const after = await adminReports(`?limit=2&cursor=${first.body.cursor}`);
    expect(after.body.reports[0]!.target).toMatchObject({ type: "message", message: { id: m.id, body: "", recalled: true } });

    for (const q of ["?cursor=nonsense", `?cursor=${Buffer.from("1.x y").toString("base64url")}`, "?limit=0", "?limit=101", "?other=1"]) {
      expect((await adminReports(q)).status).toBe(400);
    }
  });
});
