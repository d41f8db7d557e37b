import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { dashboardResponseSchema } from "../../shared/metrics/schema.js";
import { type DashboardResponse, metricKey } from "../../shared/metrics/snapshot.js";
import { adminDiagnosticsResponseSchema, type DeviceDiagnostics } from "../../shared/protocol/index.js";
import { createTestSchema, testEngine, type TestSchema } from "../testing/engines.js";
import { call, connect, listen, openDirect, register, sendHttp, type Session, startServer, type TestServer } from "../testing/harness.js";

/** GET /api/admin/dashboard and GET /api/admin/diagnostics (issue 15), on the engine the tests run on; two processes on PostgreSQL. */

const TOKEN = "admin-token-0123456789abcdef";
const MESSAGES = "courier_messages_total";
const WS_CONNECTIONS = metricKey("courier_connections", { transport: "ws" });
const servers: TestServer[] = [];
const closers: (() => void)[] = [];
let schema: TestSchema | undefined;
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await Promise.all(servers.splice(0).map((s) => s.dispose()));
  await schema?.drop();
  schema = undefined;
});

async function start(config: Parameters<typeof startServer>[0] = {}, clock?: () => number): Promise<TestServer> {
  // Published by hand (publish()), never by the timer: what a test sees does not depend on timing.
  const server = await startServer({ adminToken: TOKEN, metricsPublishMs: 0, ...config }, clock ? { clock } : {});
  servers.push(server);
  return server;
}

const admin = <T>(server: TestServer, url: string, token = TOKEN) =>
  call<T & { error?: { code: string } }>(server.app, "GET", url, { headers: { authorization: `Bearer ${token}` } });
const dashboard = async (server: TestServer) => {
  const res = await admin<DashboardResponse>(server, "/api/admin/dashboard");
  expect(res.status).toBe(200);
  return dashboardResponseSchema.parse(res.body);
};

/** A chat between two new users with `count` messages sent on `server`. */
async function traffic(server: TestServer, count: number) {
  const [a, b] = [await register(server.app), await register(server.app)];
  const { conversationId } = await openDirect(server.app, a, b);
  for (let i = 0; i < count; i++) await sendHttp(server.app, a, conversationId, `hello ${i}`);
}

describe(`GET /api/admin/dashboard (${testEngine})`, () => {
  it("needs the admin token: 401 without it or with a user's token", async () => {
    const server = await start();
    const alice = await register(server.app);
    for (const token of ["wrong-token-0123456789", alice.token]) {
      expect((await admin(server, "/api/admin/dashboard", token)).status).toBe(401);
      expect((await admin(server, "/api/admin/diagnostics", token)).status).toBe(401);
    }
  });

  it("shows this process as of the request, before it ever published", async () => {
    const server = await start({ nodeId: "solo" });
    await traffic(server, 3);
    const body = await dashboard(server);
    expect(body.nodes.map((n) => n.node)).toEqual(["solo"]);
    expect(body.nodes[0]!.metrics.counters[MESSAGES]).toBe(3);
    expect(body.total.counters[MESSAGES]).toBe(3);
  });

  it("leaves out nodes not heard from for a minute", async () => {
    let now = 1_000_000_000;
    const server = await start({ nodeId: "here" }, () => now);
    await server.storage.write(async (tx) => {
      await tx.nodeMetrics.put("quiet", now - 59_000, 0, JSON.stringify({ counters: { [MESSAGES]: 4 }, gauges: {}, histograms: {} }));
      await tx.nodeMetrics.put("gone", now - 61_000, 0, JSON.stringify({ counters: { [MESSAGES]: 100 }, gauges: {}, histograms: {} }));
    });
    let body = await dashboard(server);
    expect(body.nodes.map((n) => n.node)).toEqual(["here", "quiet"]);
    expect(body.total.counters[MESSAGES]).toBe(4);
    now += 2000;
    body = await dashboard(server);
    expect(body.nodes.map((n) => n.node)).toEqual(["here"]);
  });

  it("leaves out a row it cannot read (another version's, a damaged one): never a 500", async () => {
    const server = await start({ nodeId: "here" });
    const now = Date.now();
    const rows: Record<string, string> = {
      "not-json": "{",
      "no-gauges": JSON.stringify({ counters: {}, histograms: {} }),
      "short-buckets": JSON.stringify({ counters: {}, gauges: {}, histograms: { h: { le: [1, 2], counts: [1], sum: 1, count: 1 } } }),
      "text-counter": JSON.stringify({ counters: { [MESSAGES]: "7" }, gauges: {}, histograms: {} }),
      fine: JSON.stringify({ counters: { [MESSAGES]: 7 }, gauges: {}, histograms: { h: { le: [1], counts: [1, 1], sum: 0.5, count: 1 } } }),
    };
    await server.storage.write(async (tx) => {
      for (const [node, data] of Object.entries(rows)) await tx.nodeMetrics.put(node, now, 0, data);
    });
    const body = await dashboard(server);
    expect(body.nodes.map((n) => n.node)).toEqual(["fine", "here"]);
    expect(body.total.counters[MESSAGES]).toBe(7);
  });
});

describe.skipIf(testEngine !== "postgres")("the dashboard of two processes on one PostgreSQL database", () => {
  it("lists both nodes and sums their counters after traffic on each; a node silent for a minute drops out", async () => {
    schema = await createTestSchema();
    let nowB = Date.now();
    const a = await start({ nodeId: "node-a", databaseUrl: schema.url });
    const b = await start({ nodeId: "node-b", databaseUrl: schema.url }, () => nowB);
    await traffic(a, 2);
    await traffic(b, 3);
    // A phone live on B over WebSocket: B's connections, seen from A.
    const phone = connect(await listen(b), { token: (await register(b.app)).token, deviceId: randomUUID(), protocol: 1 });
    closers.push(() => phone.socket.disconnect());
    await phone.hello;
    await b.snapshots.publish();

    const body = await dashboard(a);
    expect(body.nodes.map((n) => [n.node, n.metrics.counters[MESSAGES], n.metrics.gauges[WS_CONNECTIONS]])).toEqual([
      ["node-a", 2, 0],
      ["node-b", 3, 1],
    ]);
    expect(body.total.counters[MESSAGES]).toBe(5);
    expect(body.total.gauges[WS_CONNECTIONS]).toBe(1);

    // B's last word is 61 s old when A is asked (B's clock stood still: it published long ago).
    nowB -= 61_000;
    await b.snapshots.publish();
    expect((await dashboard(a)).nodes.map((n) => n.node)).toEqual(["node-a"]);
  });
});

describe(`GET /api/admin/diagnostics (${testEngine})`, () => {
  const report = (appVersion: string) => ({
    appVersion,
    protocol: 1,
    versions: { chat: 3 },
    outbox: { count: 0, oldestAgeMs: null, failed: 0 },
    transportLog: [],
    recentErrors: [],
    storage: {},
  });

  /** A device of the user with its own session (as a browser signs in and registers it). */
  async function device(server: TestServer, user: Session) {
    const login = await call<{ token: string }>(server.app, "POST", "/api/auth/login", { body: { username: user.user.username, password: "correct horse" } });
    const id = randomUUID();
    const put = await call(server.app, "PUT", `/api/devices/${id}`, { token: login.body.token, body: { protocol: 1, capabilities: [] } });
    expect(put.status).toBe(200);
    return { id, token: login.body.token };
  }

  /** An admin asks `deviceId` for diagnostics and the device answers with `appVersion` in its report. */
  async function diagnose(server: TestServer, user: Session, dev: { id: string; token: string }, appVersion: string) {
    const issued = await call<{ command: { id: string } }>(server.app, "POST", "/api/admin/commands", {
      headers: { authorization: `Bearer ${TOKEN}` },
      body: { userId: user.user.id, deviceId: dev.id, name: "diagnostics" },
    });
    expect(issued.status).toBe(201);
    const id = issued.body.command.id;
    const res = await call(server.app, "POST", `/api/devices/${dev.id}/commands/${id}`, { token: dev.token, body: { status: "done", report: report(appVersion) } });
    expect(res.status).toBe(204);
    return id;
  }

  it("shows each device's latest diagnostics result, newest first, and nothing of another user's when filtered", async () => {
    let now = 1_000_000;
    const server = await start({}, () => now);
    const alice = await register(server.app);
    const bob = await register(server.app);
    const phone = await device(server, alice);
    const laptop = await device(server, alice);
    const bobs = await device(server, bob);
    const list = async (query: string) => {
      const res = await admin<{ devices: DeviceDiagnostics[] }>(server, `/api/admin/diagnostics${query}`);
      expect(res.status).toBe(200);
      return adminDiagnosticsResponseSchema.parse(res.body).devices;
    };

    expect(await list(`?userId=${alice.user.id}`)).toEqual([]);
    now += 1000;
    await diagnose(server, alice, phone, "1.0.0");
    now += 1000;
    await diagnose(server, alice, laptop, "2.0.0");
    now += 1000;
    const latest = await diagnose(server, alice, phone, "1.0.1");
    now += 1000;
    await diagnose(server, bob, bobs, "9.9.9");
    // The phone's newer result of another command is not diagnostics.
    now += 1000;
    const resync = await call<{ command: { id: string } }>(server.app, "POST", "/api/admin/commands", {
      headers: { authorization: `Bearer ${TOKEN}` },
      body: { userId: alice.user.id, deviceId: phone.id, name: "resync" },
    });
    const done = await call(server.app, "POST", `/api/devices/${phone.id}/commands/${resync.body.command.id}`, { token: phone.token, body: { status: "done" } });
    expect(done.status).toBe(204);

    const mine = await list(`?userId=${alice.user.id}`);
    expect(mine.map((d) => [d.deviceId, d.result.report?.appVersion])).toEqual([
      [phone.id, "1.0.1"],
      [laptop.id, "2.0.0"],
    ]);
    expect(mine[0]).toMatchObject({ userId: alice.user.id, commandId: latest, at: 1_003_000, result: { status: "done", at: 1_003_000 } });
    expect(JSON.stringify(mine)).not.toContain(bob.user.id);

    expect((await list("")).map((d) => d.deviceId)).toEqual([bobs.id, phone.id, laptop.id]);
    expect((await list("?limit=1")).map((d) => d.deviceId)).toEqual([bobs.id]);
    expect(await list(`?userId=${randomUUID()}`)).toEqual([]);
  });

  it("answers 400 to a bad query", async () => {
    const server = await start();
    for (const query of ["?limit=0", "?limit=201", "?limit=ten", "?userId=", `?userId=${"x".repeat(65)}`, "?user=me", "?limit=1&limit=2"]) {
      const res = await admin(server, `/api/admin/diagnostics${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error?.code).toBe("bad_request");
    }
  });
});
