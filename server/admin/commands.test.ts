import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Command, COMMAND_REPORT_MAX_BYTES, type CommandResult, type Entry, isKind, SESSION_TTL_MS } from "../../shared/protocol/index.js";
import { hashToken } from "../auth/tokens.js";
import { startRedis } from "../../scripts/provision/redis.js";
import type { RunningService } from "../../scripts/provision/service.js";
import { createTestSchema, testEngine, type TestSchema } from "../testing/engines.js";
import { call, type Client, connect, eventually, listen, openDirect, pullAll, refusal, register, type Session, startServer, type TestServer } from "../testing/harness.js";

/** The instruction model (issue 13): admin commands, `cmd` entries, device reports, sign_out; on both engines and across processes. */

const TOKEN = "admin-token-0123456789abcdef";
let server: TestServer;
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await server?.dispose();
});

interface Answer {
  command?: Command;
  results?: CommandResult[];
  error?: { code: string; message: string; reason?: string };
}

const issue = (body: unknown, app = server.app, token = TOKEN) =>
  call<Answer>(app, "POST", "/api/admin/commands", { headers: { authorization: `Bearer ${token}` }, body });
const lookUp = (id: string, token = TOKEN) => call<Answer>(server.app, "GET", `/api/admin/commands/${id}`, { headers: { authorization: `Bearer ${token}` } });
const report = (s: Session, deviceId: string, commandId: string, body: unknown) =>
  call<Answer>(server.app, "POST", `/api/devices/${deviceId}/commands/${commandId}`, { token: s.token, body });

/** A device of the user, registered with its own session (as a browser signs in and registers). */
async function device(user: Session): Promise<{ id: string; session: Session }> {
  const login = await call<{ token: string }>(server.app, "POST", "/api/auth/login", { body: { username: user.user.username, password: "correct horse" } });
  const session = { user: user.user, token: login.body.token };
  const id = randomUUID();
  const put = await call(server.app, "PUT", `/api/devices/${id}`, { token: session.token, body: { protocol: 1, capabilities: [] } });
  expect(put.status).toBe(200);
  return { id, session };
}

const cmdEntries = async (s: Session) => (await pullAll(server.app, s, "chat")).entries.filter((e: Entry) => isKind(e, "cmd"));
const chatHead = async (s: Session) => (await pullAll(server.app, s, "chat")).head;

/** A well-formed diagnostics report, `pad` characters of transport log long. */
const diagnostics = (pad = 0) => ({
  appVersion: "1.2.3",
  protocol: 1,
  versions: { chat: 12, market: 0 },
  outbox: { count: 1, oldestAgeMs: 2000, failed: 0 },
  transportLog: [{ at: 1, event: "connected", transport: "ws", note: "x".repeat(pad) }],
  recentErrors: [],
  storage: { messages: 40 },
});

describe("admin commands", () => {
  it("do not exist without ADMIN_TOKEN, and need the admin token (never a user's)", async () => {
    server = await startServer({ adminToken: null });
    const alice = await register(server.app);
    const off = await issue({ userId: alice.user.id, name: "resync" });
    expect(off.status).toBe(404);
    expect(off.body.error?.code).toBe("not_found");
    expect((await lookUp(randomUUID())).status).toBe(404);
    await server.dispose();

    server = await startServer({ adminToken: TOKEN });
    const bob = await register(server.app);
    expect((await issue({ userId: bob.user.id, name: "resync" }, server.app, "wrong-token-0123456789")).status).toBe(401);
    expect((await issue({ userId: bob.user.id, name: "resync" }, server.app, bob.token)).status).toBe(401);
    expect((await lookUp(randomUUID(), bob.token)).status).toBe(401);
    expect(await cmdEntries(bob)).toEqual([]);
  });

  it("refuses unknown names, missing or extra args, unknown users, devices and conversations: 400 or 404, nothing sent", async () => {
    server = await startServer({ adminToken: TOKEN });
    const alice = await register(server.app);
    const bob = await register(server.app);
    const carol = await register(server.app);
    const { conversationId } = await openDirect(server.app, bob, carol);
    const bobs = await device(bob);
    const userId = alice.user.id;
    for (const body of [
      { userId, name: "format_disk" },
      { userId, name: "mute" },
      { userId, name: "mute", args: {} },
      { userId, name: "delete_conversation", args: { conversationId: "" } },
      { userId, name: "resync", args: { extra: 1 } },
      { userId, name: "resync", force: true },
      { name: "resync" },
    ]) {
      const res = await issue(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error?.code).toBe("bad_request");
    }
    for (const body of [
      { userId: randomUUID(), name: "resync" },
      { userId, deviceId: randomUUID(), name: "resync" },
      // Bob's device is not Alice's.
      { userId, deviceId: bobs.id, name: "diagnostics" },
      // Alice is not in Bob and Carol's chat.
      { userId, name: "mute", args: { conversationId } },
      { userId, name: "delete_conversation", args: { conversationId: randomUUID() } },
    ]) {
      const res = await issue(body);
      expect(res.status, JSON.stringify(body)).toBe(404);
      expect(res.body.error?.code).toBe("not_found");
    }
    expect(await cmdEntries(alice)).toEqual([]);
  });

  it("a group the user left may be deleted from their devices, not muted", async () => {
    server = await startServer({ adminToken: TOKEN });
    const alice = await register(server.app);
    const bob = await register(server.app);
    const group = await call<{ conversation: { id: string } }>(server.app, "POST", "/api/conversations", {
      token: alice.token,
      body: { type: "group", title: "Climbing", memberIds: [bob.user.id] },
    });
    const conversationId = group.body.conversation.id;
    expect((await call(server.app, "POST", `/api/conversations/${conversationId}/leave`, { token: bob.token })).status).toBe(204);
    expect((await issue({ userId: bob.user.id, name: "mute", args: { conversationId } })).status).toBe(404);
    expect((await issue({ userId: bob.user.id, name: "delete_conversation", args: { conversationId } })).status).toBe(201);
    expect((await cmdEntries(bob)).map((e) => e.data.name)).toEqual(["delete_conversation"]);
  });

  it("stores the command and appends a cmd entry to that user's chat only, live to a connected device; GET shows it", async () => {
    server = await startServer({ adminToken: TOKEN });
    const url = await listen(server);
    const alice = await register(server.app);
    const bob = await register(server.app);
    const { conversationId } = await openDirect(server.app, alice, bob);
    const bobHead = await chatHead(bob);
    const live = connect(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 });
    closers.push(() => live.socket.disconnect());
    await live.hello;

    const res = await issue({ userId: alice.user.id, name: "mute", args: { conversationId } });
    expect(res.status).toBe(201);
    const command = res.body.command!;
    expect(command).toMatchObject({ userId: alice.user.id, deviceId: null, name: "mute", args: { conversationId } });
    const expected = { id: command.id, name: "mute", args: { conversationId } };
    expect((await cmdEntries(alice)).map((e) => e.data)).toEqual([expected]);
    await eventually(() => live.pushed.some((e) => e.k === "cmd"));
    expect(live.pushed.find((e) => e.k === "cmd")?.data).toEqual(expected);
    expect(await chatHead(bob)).toBe(bobHead);

    // Named device: the entry says which one runs it. No args given: {}.
    const phone = await device(alice);
    const named = await issue({ userId: alice.user.id, deviceId: phone.id, name: "resync" });
    expect(named.status).toBe(201);
    expect((await cmdEntries(alice)).at(-1)?.data).toEqual({ id: named.body.command!.id, name: "resync", args: {}, deviceId: phone.id });

    const got = await lookUp(command.id);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ command, results: [] });
    expect((await lookUp(randomUUID())).status).toBe(404);
  });

  it("takes a device's report (a repeat replaces it) and refuses other devices, other users and wrong reports", async () => {
    server = await startServer({ adminToken: TOKEN });
    const alice = await register(server.app);
    const bob = await register(server.app);
    const laptop = await device(alice);
    const phone = await device(alice);
    const bobs = await device(bob);
    const forLaptop = (await issue({ userId: alice.user.id, deviceId: laptop.id, name: "diagnostics" })).body.command!;
    const forAll = (await issue({ userId: alice.user.id, name: "resync" })).body.command!;

    expect((await report(laptop.session, laptop.id, forLaptop.id, { status: "failed", detail: "IndexedDB is blocked" })).status).toBe(204);
    const full = diagnostics();
    expect((await report(laptop.session, laptop.id, forLaptop.id, { status: "done", report: full })).status).toBe(204);
    expect((await lookUp(forLaptop.id)).body.results).toEqual([{ deviceId: laptop.id, status: "done", detail: null, report: full, at: expect.any(Number) }]);

    // Not the named device, a device of another user, a command of another user, a device that is not the caller's.
    const refusals = [
      await report(phone.session, phone.id, forLaptop.id, { status: "done" }),
      await report(bob, bobs.id, forLaptop.id, { status: "done" }),
      await report(bob, bobs.id, forAll.id, { status: "done" }),
      await report(alice, bobs.id, forAll.id, { status: "done" }),
      await report(alice, randomUUID(), forAll.id, { status: "done" }),
      // Alice's own devices, but not the caller's session: another device, or a session that never spoke for one.
      await report(laptop.session, phone.id, forAll.id, { status: "failed", detail: "spoofed" }),
      await report(alice, phone.id, forAll.id, { status: "failed", detail: "spoofed" }),
    ];
    expect(refusals.map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403, 403]);
    expect(refusals.every((r) => r.body.error?.code === "forbidden")).toBe(true);
    expect((await report(alice, phone.id, randomUUID(), { status: "done" })).status).toBe(404);

    // Wrong shapes: a status that is not one, diagnostics that are not, a report on a command that has none.
    for (const [commandId, body] of [
      [forLaptop.id, { status: "ok" }],
      [forLaptop.id, { status: "done", report: { text: "hello Bob" } }],
      [forLaptop.id, { status: "done", report: { ...full, outbox: "3 messages" } }],
      [forAll.id, { status: "done", report: full }],
    ] as const) {
      const res = await report(laptop.session, laptop.id, commandId, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    // A report nested too deeply to stringify: 400, said plainly (it was a 500), from the JSON as sent.
    for (const depth of [33, 100_000]) {
      const payload = `{"status":"done","report":{"a":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}}`;
      const deep = await server.app.inject({
        method: "POST",
        url: `/api/devices/${laptop.id}/commands/${forLaptop.id}`,
        headers: { authorization: `Bearer ${laptop.session.token}`, "content-type": "application/json" },
        payload,
      });
      expect(deep.statusCode, `depth ${depth}`).toBe(400);
      expect(deep.json().error).toEqual({ code: "bad_request", message: "The report nests too deeply (at most 32 levels)." });
    }
    // Every device may report a command that names none; each its own row.
    expect((await report(phone.session, phone.id, forAll.id, { status: "done" })).status).toBe(204);
    expect((await report(laptop.session, laptop.id, forAll.id, { status: "failed", detail: "quota" })).status).toBe(204);
    const results = (await lookUp(forAll.id)).body.results!;
    expect(results.map((r) => [r.deviceId, r.status]).sort()).toEqual([[laptop.id, "failed"], [phone.id, "done"]].sort());
    // The refused reports changed nothing.
    expect((await lookUp(forLaptop.id)).body.results).toEqual([expect.objectContaining({ deviceId: laptop.id, status: "done", report: full })]);
  });

  it("takes a diagnostics report above the usual body limit up to 256 KB; larger is 413 in Courier's error shape", async () => {
    server = await startServer({ adminToken: TOKEN });
    const alice = await register(server.app);
    const laptop = await device(alice);
    const { id } = (await issue({ userId: alice.user.id, name: "diagnostics" })).body.command!;
    const size = (r: object) => Buffer.byteLength(JSON.stringify(r));
    const fits = diagnostics(COMMAND_REPORT_MAX_BYTES - size(diagnostics()));
    expect(size(fits)).toBe(COMMAND_REPORT_MAX_BYTES);
    expect((await report(laptop.session, laptop.id, id, { status: "done", report: fits })).status).toBe(204);

    // One byte over: the report is refused by its size even though the body fits the route.
    const over = await report(laptop.session, laptop.id, id, { status: "done", report: diagnostics(COMMAND_REPORT_MAX_BYTES - size(diagnostics()) + 1) });
    expect(over.status).toBe(413);
    expect(over.body.error).toEqual({ code: "too_large", message: "A command report is at most 256 KB of JSON." });
    // Far over: refused while reading the body.
    const huge = await report(laptop.session, laptop.id, id, { status: "done", report: diagnostics(2 * COMMAND_REPORT_MAX_BYTES) });
    expect(huge.status).toBe(413);
    expect(huge.body.error).toEqual({ code: "too_large", message: "A command report is at most 256 KB of JSON." });
    // The stored report is still the one that fitted.
    expect(size((await lookUp(id)).body.results![0]!.report!)).toBe(COMMAND_REPORT_MAX_BYTES);
    // Other routes keep their 64 KB limit.
    const other = await call(server.app, "PUT", `/api/devices/${laptop.id}`, { token: alice.token, body: { protocol: 1, capabilities: [], userAgent: "x".repeat(70_000) } });
    expect(other.status).toBe(413);
  });

  it("sign_out of a device: it hears the command, then its connections close and its sessions end; the other devices stay", async () => {
    server = await startServer({ adminToken: TOKEN });
    const url = await listen(server);
    const alice = await register(server.app);
    const phone = await device(alice);
    const laptop = await device(alice);
    const live = connect(url, { token: phone.session.token, deviceId: phone.id, protocol: 1 });
    closers.push(() => live.socket.disconnect());
    await live.hello;
    const closed = new Promise<string>((resolve) => live.socket.once("disconnect", resolve));

    const res = await issue({ userId: alice.user.id, deviceId: phone.id, name: "sign_out" });
    expect(res.status).toBe(201);
    expect(await closed).toBe("io server disconnect");
    const names = live.events.map((e) => (e.name === "push" ? (e.args[0] as Entry[]).map((x) => x.k).join(",") : e.name));
    const cmdAt = names.findIndex((n) => n.split(",").includes("cmd"));
    expect(cmdAt).toBeGreaterThan(-1);
    expect(names.indexOf("close")).toBeGreaterThan(cmdAt);
    expect(live.events.find((e) => e.name === "close")?.args[0]).toEqual({ reason: "logout" });

    expect((await call(server.app, "GET", "/api/me", { token: phone.session.token })).status).toBe(401);
    expect((await call(server.app, "GET", "/api/me", { token: laptop.session.token })).status).toBe(200);
    expect((await lookUp(res.body.command!.id)).body.results).toEqual([
      { deviceId: phone.id, status: "done", detail: "The server revoked this device's sessions (1).", at: expect.any(Number) },
    ]);
  });

  it("a device that never heard its sign_out (offline then, between two long-polls) is told why by every door's 401, until its session would have expired", async () => {
    let now = Date.now();
    server = await startServer({ adminToken: TOKEN }, { clock: () => now });
    const url = await listen(server);
    const alice = await register(server.app);
    const phone = await device(alice);
    const phoneExpires = now + SESSION_TTL_MS;
    now += 60 * 60 * 1000; // the command comes an hour after the phone signed in
    const laptop = await device(alice);
    const reasonOf = (res: { status: number; body: Answer }) => [res.status, res.body.error?.reason];
    const me = (s: Session) => call<Answer>(server.app, "GET", "/api/me", { token: s.token });

    // No connection of the phone is open when the command is written: it hears nothing of it.
    const res = await issue({ userId: alice.user.id, deviceId: phone.id, name: "sign_out" });
    expect(res.status).toBe(201);
    const signedOut = [401, "signed_out_by_admin"];
    expect(reasonOf(await me(phone.session))).toEqual(signedOut);
    // Its next long-poll (it was between two) and its next handshake say why, and give it nothing.
    const poll = await call<Answer>(server.app, "GET", `/api/poll?device=${phone.id}&wait=0`, { token: phone.session.token });
    expect(reasonOf(poll)).toEqual(signedOut);
    expect(poll.body).not.toHaveProperty("entries");
    const refused = await refusal(connect(url, { token: phone.session.token, deviceId: phone.id, protocol: 1 }));
    expect(refused.data).toMatchObject({ code: "unauthorized", reason: "signed_out_by_admin" });

    // Other 401s say nothing of it: a session signed out by its own device, a token never issued.
    expect((await me(laptop.session)).status).toBe(200);
    expect((await call(server.app, "POST", "/api/auth/logout", { token: laptop.session.token })).status).toBe(204);
    expect(reasonOf(await me(laptop.session))).toEqual([401, undefined]);
    expect(reasonOf(await me({ ...alice, token: "not-a-token-we-issued" }))).toEqual([401, undefined]);

    // Until the phone's session would have expired (its own expiry, not the command's time + a lifetime)...
    now = phoneExpires - 1;
    expect(reasonOf(await me(phone.session))).toEqual(signedOut);
    // ...then it is an expired session like any other, and the record goes at the next sign-in.
    now = phoneExpires;
    expect(reasonOf(await me(phone.session))).toEqual([401, undefined]);
    await device(alice);
    expect(await server.storage.read(async (r) => r.sessions.revokedBy(hashToken(phone.session.token), 0))).toBeNull();
  });

  it("sign_out without a device signs every device of the user out, and every session used only over HTTP; nobody else", async () => {
    server = await startServer({ adminToken: TOKEN });
    const alice = await register(server.app);
    const bob = await register(server.app);
    const devices = [await device(alice), await device(alice)];
    const bobs = await device(bob);
    // alice's and bob's sign-up sessions never spoke for a device.
    const me = (s: Session) => call(server.app, "GET", "/api/me", { token: s.token });
    expect((await me(alice)).status).toBe(200);
    const res = await issue({ userId: alice.user.id, name: "sign_out" });
    expect(res.status).toBe(201);
    for (const d of devices) expect((await me(d.session)).body).toMatchObject({ error: { code: "unauthorized", reason: "signed_out_by_admin" } });
    expect((await me(alice)).body).toMatchObject({ error: { code: "unauthorized", reason: "signed_out_by_admin" } });
    expect((await me(bobs.session)).status).toBe(200);
    expect((await me(bob)).status).toBe(200);
    expect((await lookUp(res.body.command!.id)).body.results!.map((r) => r.deviceId).sort()).toEqual(devices.map((d) => d.id).sort());
  });
});

/** Two processes on one PostgreSQL and one Redis, as in cluster/cluster.test.ts (run once, from the unit project). */
const clustered = Boolean(process.env.TEST_DATABASE_URL) && testEngine === "sqlite";

describe.skipIf(!clustered)("commands across processes", () => {
  let redis: RunningService;
  let schema: TestSchema;
  const nodes: TestServer[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.dispose()));
    await schema?.drop();
  });

  it("a command issued on one process reaches a device connected to the other, and its sign_out closes it there", async () => {
    schema = await createTestSchema();
    for (let i = 0; i < 2; i++) nodes.push(await startServer({ databaseUrl: schema.url, redisUrl: redis.url, adminToken: TOKEN }));
    const [a, b] = nodes as [TestServer, TestServer];
    const urlB = await listen(b);
    await eventually(() => nodes.every((n) => n.cluster.link?.up === true));
    const alice = await register(a.app);
    const deviceId = randomUUID();
    const live: Client = connect(urlB, { token: alice.token, deviceId, protocol: 1 });
    closers.push(() => live.socket.disconnect());
    await live.hello;

    const resync = await issue({ userId: alice.user.id, deviceId, name: "resync" }, a.app);
    expect(resync.status).toBe(201);
    await eventually(() => live.pushed.some((e) => isKind(e, "cmd") && e.data.id === resync.body.command!.id), 5000);

    const closed = new Promise<string>((resolve) => live.socket.once("disconnect", resolve));
    const signOut = await issue({ userId: alice.user.id, deviceId, name: "sign_out" }, a.app);
    expect(signOut.status).toBe(201);
    expect(await closed).toBe("io server disconnect");
    expect(live.pushed.some((e) => isKind(e, "cmd") && e.data.id === signOut.body.command!.id)).toBe(true);
    expect((await call(b.app, "GET", "/api/me", { token: alice.token })).status).toBe(401);
  });
});
