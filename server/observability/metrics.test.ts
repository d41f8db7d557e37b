import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Entry } from "../../shared/protocol/index.js";
import { loadConfig } from "../config.js";
import { PushFunnel } from "../push/funnel.js";
import { DeliveryMetrics } from "../sync/delivery-metrics.js";
import { call, type Client, connect, emitAck, eventually, listen, openDirect, register, sendHttp, startServer, type TestServer } from "../testing/harness.js";
import type { AckedEntry } from "./events.js";
import { Metrics, REDIS_PING_EVERY_MS } from "./metrics.js";

/** `GET /metrics` and the metrics listener: what an operator scraping Courier sees. */

interface Scrape {
  text: string;
  types: Map<string, string>;
  /** Series (`name{a="x",b="y"}`, labels as printed) → value. */
  values: Map<string, number>;
}

/** The Prometheus text format, as far as these tests read it. */
export function parseExposition(text: string): Scrape {
  const types = new Map<string, string>();
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return { text, types, values };
}

/** Every label value of every series. */
function labelValues(s: Scrape): string[] {
  return [...s.values.keys()].flatMap((series) => [...series.matchAll(/="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!));
}

let server: TestServer | null = null;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.disconnect();
  await server?.dispose();
  server = null;
});

async function scrape(s: TestServer, headers: Record<string, string> = {}) {
  const res = await s.app.inject({ method: "GET", url: "/metrics", headers });
  return { res, scrape: parseExposition(res.body) };
}

const FAMILIES: [name: string, type: string, labels: string[]][] = [
  ["courier_messages_total", "counter", []],
  ["courier_entries_pushed_total", "counter", ["transport"]],
  ["courier_entries_acked_total", "counter", []],
  ["courier_delivery_seconds", "histogram", ["transport"]],
  ["courier_compensated_entries_total", "counter", []],
  ["courier_retransmits_total", "counter", []],
  ["courier_offline_handovers_total", "counter", ["reason"]],
  ["courier_connections", "gauge", ["transport"]],
  ["courier_webpush_total", "counter", ["category", "outcome"]],
  ["courier_send_commit_seconds", "histogram", []],
  ["courier_push_seconds", "histogram", ["transport"]],
  ["courier_compensation_delay_seconds", "histogram", []],
  ["courier_retransmit_rounds_total", "counter", ["outcome"]],
  ["courier_dead_connections_total", "counter", ["transport"]],
  ["courier_sync_pulls_total", "counter", []],
  ["courier_sync_snapshots_total", "counter", []],
  ["courier_sync_resets_total", "counter", []],
  ["courier_db_seconds", "histogram", ["engine", "op"]],
  ["courier_errors_total", "counter", ["code"]],
  ["courier_client_render_seconds", "histogram", ["transport"]],
  ["courier_client_hole_pulls_total", "counter", []],
  ["courier_client_transport_switches_total", "counter", ["from", "to"]],
  ["courier_client_outbox_seconds", "histogram", []],
];

describe("GET /metrics", () => {
  it("exposes every family with its type and labels, the process metrics and the event-loop lag, in seconds", async () => {
    server = await startServer();
    // A request that reads and writes, so the database histogram has series.
    const me = await register(server.app);
    expect((await call(server.app, "GET", "/api/conversations", { token: me.token })).status).toBe(200);
    const { res, scrape: s } = await scrape(server);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers["cache-control"]).toBe("no-store");
    for (const [name, type, labels] of FAMILIES) {
      expect(s.types.get(name), name).toBe(type);
      const series = [...s.values.keys()].filter((k) => k === name || k.startsWith(`${name}{`) || k.startsWith(`${name}_bucket{`) || k.startsWith(`${name}_count`));
      if (labels.length === 0) continue;
      expect(series.length, `${name} has series`).toBeGreaterThan(0);
      for (const key of series) {
        const names = [...key.matchAll(/(\w+)="/g)].map((m) => m[1]).filter((l) => l !== "le");
        expect(names.sort(), key).toEqual([...labels].sort());
      }
    }
    expect(s.types.get("nodejs_eventloop_lag_seconds")).toBe("gauge");
    expect(s.types.get("process_cpu_seconds_total")).toBe("counter");
    // The contract's buckets, in seconds.
    expect(s.values.has('courier_delivery_seconds_bucket{le="0.001",transport="ws"}')).toBe(true);
    expect(s.values.has('courier_delivery_seconds_bucket{le="300",transport="ws"}')).toBe(true);
    expect(s.values.get('courier_connections{transport="ws"}')).toBe(0);
    expect(s.values.has('courier_webpush_total{category="chat",outcome="requested"}')).toBe(true);
    expect(s.values.has('courier_offline_handovers_total{reason="gave_up"}')).toBe(true);
    expect(s.values.has('courier_retransmit_rounds_total{outcome="acked"}')).toBe(true);
    for (const op of ["read", "write"]) expect(s.values.get(`courier_db_seconds_count{engine="${server.storage.kind}",op="${op}"}`)).toBeGreaterThan(0);
  });

  it("shows SQLite's write-ahead log (size, checkpoints, start-overs, writes held) on SQLite only, read afresh at each scrape", async () => {
    server = await startServer();
    const { scrape: s } = await scrape(server);
    const families: [string, string][] = [
      ["courier_sqlite_wal_pages", "gauge"],
      ["courier_sqlite_checkpoints_total", "counter"],
      ["courier_sqlite_wal_restarts_total", "counter"],
      ["courier_sqlite_write_holds_total", "counter"],
      ["courier_sqlite_writes_held_seconds_total", "counter"],
    ];
    for (const [name, type] of families) expect(s.types.get(name), name).toBe(server.storage.kind === "sqlite" ? type : undefined);

    // What the engine reports, as an operator reads it: ms as seconds, counters replaced (not added up) at each scrape.
    const health = { walPages: 31_000, checkpoints: 40, checkpointFailures: 1, restarts: 2, writeHolds: 3, writesHeldMs: 45 };
    const metrics = new Metrics();
    metrics.readFrom({ delivery: new DeliveryMetrics(), pushFunnel: new PushFunnel(), hub: { countByTransport: () => ({ ws: 0, sse: 0, poll: 0 }) }, wal: () => health });
    const read = async () => parseExposition(await metrics.registry.metrics()).values;
    let v = await read();
    expect(v.get("courier_sqlite_wal_pages")).toBe(31_000);
    expect(v.get('courier_sqlite_checkpoints_total{outcome="ok"}')).toBe(40);
    expect(v.get('courier_sqlite_checkpoints_total{outcome="failed"}')).toBe(1);
    expect(v.get("courier_sqlite_wal_restarts_total")).toBe(2);
    expect(v.get("courier_sqlite_write_holds_total")).toBe(3);
    expect(v.get("courier_sqlite_writes_held_seconds_total")).toBe(0.045);
    Object.assign(health, { walPages: 12, restarts: 3, writeHolds: 4, writesHeldMs: 60 });
    v = await read();
    expect(v.get("courier_sqlite_wal_pages")).toBe(12);
    expect(v.get("courier_sqlite_wal_restarts_total")).toBe(3);
    expect(v.get("courier_sqlite_write_holds_total")).toBe(4);
    expect(v.get("courier_sqlite_writes_held_seconds_total")).toBe(0.06);
  });

  it("without METRICS_TOKEN answers direct loopback clients only", async () => {
    server = await startServer({ metricsToken: null });
    expect((await scrape(server)).res.statusCode).toBe(200);
    const proxies: Record<string, string>[] = [{ "x-forwarded-for": "203.0.113.9" }, { forwarded: "for=203.0.113.9" }];
    for (const proxied of proxies) {
      const { res } = await scrape(server, proxied);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: { code: "forbidden" } });
      expect(res.body).not.toContain("courier_");
    }
    // A page that rebound its own name to 127.0.0.1 reaches us from loopback, naming its host: refused.
    const rebound = await scrape(server, { host: "rebound.example:3000" });
    expect(rebound.res.statusCode).toBe(403);
    expect(rebound.res.body).not.toContain("courier_");
  });

  it("with METRICS_TOKEN takes only that Bearer token, from any address and host", async () => {
    const token = "scrape-token-0123456789";
    server = await startServer({ metricsToken: token });
    const refused: Record<string, string>[] = [{}, { authorization: "Bearer wrong-token-0123456789" }, { authorization: token }];
    for (const headers of refused) {
      const { res } = await scrape(server, headers);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: "unauthorized" } });
    }
    const { res, scrape: s } = await scrape(server, { authorization: `Bearer ${token}`, "x-forwarded-for": "203.0.113.9", host: "courier-1.internal:3000" });
    expect(res.statusCode).toBe(200);
    expect(s.types.get("courier_messages_total")).toBe("counter");
    expect(res.body).not.toContain(token);
  });

  it("answers 503, not 500, when collecting fails", async () => {
    server = await startServer();
    server.metrics.registry.registerMetric({
      name: "broken",
      get: () => Promise.reject(new Error("boom")),
    } as never);
    const { res } = await scrape(server);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: { code: "unavailable" } });
  });

  it("reads METRICS_TOKEN from the environment and refuses a short one", () => {
    expect(loadConfig({ METRICS_TOKEN: "0123456789abcdef" }).metricsToken).toBe("0123456789abcdef");
    expect(loadConfig({}).metricsToken).toBeNull();
    expect(() => loadConfig({ METRICS_TOKEN: "short" })).toThrow(/METRICS_TOKEN: must be 16 to 200/);
    expect(() => loadConfig({ METRICS_TOKEN: "has a space in it, sixteen+" })).toThrow(/METRICS_TOKEN/);
  });

  it("counts error responses by code, also those refused before routing", async () => {
    server = await startServer();
    const count = async (code: string) => parseExposition((await scrape(server!)).res.body).values.get(`courier_errors_total{code="${code}"}`);
    const before = { bad: await count("bad_request"), unauthorized: await count("unauthorized"), notFound: await count("not_found") };
    expect(before).toEqual({ bad: 0, unauthorized: 0, notFound: 0 });
    expect((await call(server.app, "POST", "/api/auth/register", { body: { username: 7 } })).status).toBe(400);
    expect((await server.app.inject({ method: "GET", url: "/api/users/%E0%A4%A" })).statusCode).toBe(400);
    expect((await call(server.app, "GET", "/api/me")).status).toBe(401);
    expect((await call(server.app, "GET", "/api/no-such-route")).status).toBe(404);
    expect(await count("bad_request")).toBe(2);
    expect(await count("unauthorized")).toBe(1);
    expect(await count("not_found")).toBe(1);
  });
});

const entry = (v: number, at: number, d: Entry["d"] = "chat"): Entry => ({ d, v, k: "msg", at, data: null });
const acked = (v: number, at: number, d: AckedEntry["d"] = "chat"): AckedEntry => ({ d, v, at });

/** One family's series value from the registry, as a scrape would read it. */
async function value(m: Metrics, series: string): Promise<number | undefined> {
  return parseExposition(await m.registry.metrics()).values.get(series);
}

describe("the metrics listener", () => {
  const ann = { userId: "u-ann", deviceId: "d-ann" };

  it("times pushes and deliveries per transport: the device's last push here, else the ack's, else unknown", async () => {
    const m = new Metrics();
    const l = m.listener;
    l.pushed!({ ...ann, transport: "sse", connectionId: "c1" }, [entry(1, 1000), entry(2, 1500)], false, 2000);
    l.acked!({ ...ann, transport: "ws" }, [acked(1, 1000), acked(2, 1500)], 4000);
    l.acked!({ userId: "u-bo", deviceId: "d-bo", transport: "poll" }, [acked(1, 1000)], 1250);
    l.acked!({ userId: "u-cy", deviceId: "d-cy" }, [acked(1, 1000)], 1100);
    expect(await value(m, 'courier_entries_pushed_total{transport="sse"}')).toBe(2);
    expect(await value(m, 'courier_push_seconds_sum{transport="sse"}')).toBeCloseTo(1.5);
    expect(await value(m, "courier_entries_acked_total")).toBe(4);
    expect(await value(m, 'courier_delivery_seconds_count{transport="sse"}')).toBe(2);
    expect(await value(m, 'courier_delivery_seconds_sum{transport="sse"}')).toBeCloseTo(5.5);
    expect(await value(m, 'courier_delivery_seconds_count{transport="ws"}')).toBe(0);
    expect(await value(m, 'courier_delivery_seconds_sum{transport="poll"}')).toBeCloseTo(0.25);
    expect(await value(m, 'courier_delivery_seconds_sum{transport="unknown"}')).toBeCloseTo(0.1);
    expect(await value(m, 'courier_delivery_seconds_bucket{le="0.1",transport="unknown"}')).toBe(1);
  });

  it("leaves out of arrival and delivery time what a new device acks from its snapshot (committed before it registered)", async () => {
    const m = new Metrics();
    m.listener.acked!({ ...ann, transport: "ws" }, [{ ...acked(1, 1000), catchUp: true }, acked(2, 9000)], 9500);
    expect(await value(m, "courier_entries_acked_total")).toBe(1);
    expect(await value(m, 'courier_delivery_seconds_count{transport="ws"}')).toBe(1);
    expect(await value(m, 'courier_delivery_seconds_sum{transport="ws"}')).toBeCloseTo(0.5);
  });

  it("counts a compensation when a pull covered a pushed entry before its ack, with the delay from the first push", async () => {
    const m = new Metrics();
    const l = m.listener;
    const device = { ...ann, transport: "ws" as const, connectionId: "c1" };
    l.pushed!(device, [entry(5, 900), entry(6, 950)], false, 1000);
    // A re-push is a retransmission, not a new first push.
    l.pushed!(device, [entry(5, 900), entry(6, 950)], true, 1800);
    l.pulled!(ann.userId, ann.deviceId, [entry(5, 900)], 2000);
    // Another device's pull covers nothing of Ann's.
    l.pulled!("u-bo", "d-bo", [entry(6, 950)], 2000);
    l.acked!(device, [acked(5, 900), acked(6, 950)], 3500);
    expect(await value(m, "courier_compensated_entries_total")).toBe(1);
    expect(await value(m, "courier_compensation_delay_seconds_sum")).toBeCloseTo(2.5);
    expect(await value(m, "courier_retransmits_total")).toBe(2);
    expect(await value(m, 'courier_entries_pushed_total{transport="ws"}')).toBe(2);
    expect(await value(m, "courier_sync_pulls_total")).toBe(2);
    // Acked is forgotten: a later pull and ack of the same version is no compensation.
    l.pulled!(ann.userId, ann.deviceId, [entry(5, 900)], 4000);
    l.acked!(device, [acked(5, 900)], 4100);
    expect(await value(m, "courier_compensated_entries_total")).toBe(1);
  });

  it("an ack forgets every pending push at or below it (acks are cumulative)", async () => {
    const m = new Metrics();
    const l = m.listener;
    const device = { ...ann, transport: "ws" as const, connectionId: "c1" };
    l.pushed!(device, [entry(1, 0), entry(2, 0), entry(3, 0)], false, 10);
    l.acked!(device, [acked(3, 0)], 20);
    l.pulled!(ann.userId, ann.deviceId, [entry(1, 0), entry(2, 0)], 30);
    l.acked!(device, [acked(1, 0), acked(2, 0)], 40);
    expect(await value(m, "courier_compensated_entries_total")).toBe(0);
  });

  it("remembers a bounded number of pending pushes, forgetting the oldest and the least recently used devices", async () => {
    const m = new Metrics({ devices: 2, perDevice: 2, total: 3 });
    const l = m.listener;
    const dev = (n: number) => ({ userId: `u${n}`, deviceId: `d${n}`, transport: "ws" as const, connectionId: `c${n}` });
    // Per device: the oldest of three pushes is forgotten.
    l.pushed!(dev(1), [entry(1, 0), entry(2, 0), entry(3, 0)], false, 10);
    l.pulled!("u1", "d1", [entry(1, 0), entry(2, 0), entry(3, 0)], 20);
    l.acked!(dev(1), [acked(1, 0), acked(2, 0), acked(3, 0)], 30);
    expect(await value(m, "courier_compensated_entries_total")).toBe(2);
    // Devices: a third device evicts the least recently used.
    l.pushed!(dev(1), [entry(4, 0)], false, 40);
    l.pushed!(dev(2), [entry(1, 0)], false, 40);
    l.pushed!(dev(3), [entry(1, 0)], false, 40);
    for (const n of [1, 2, 3]) l.pulled!(`u${n}`, `d${n}`, [entry(n === 1 ? 4 : 1, 0)], 50);
    for (const n of [1, 2, 3]) l.acked!(dev(n), [acked(n === 1 ? 4 : 1, 0)], 60);
    expect(await value(m, "courier_compensated_entries_total")).toBe(4);
    // Overall: two devices with two pending each exceed three; the least recently used goes.
    l.pushed!(dev(4), [entry(1, 0), entry(2, 0)], false, 70);
    l.pushed!(dev(5), [entry(1, 0), entry(2, 0)], false, 70);
    for (const n of [4, 5]) l.pulled!(`u${n}`, `d${n}`, [entry(1, 0), entry(2, 0)], 80);
    for (const n of [4, 5]) l.acked!(dev(n), [acked(1, 0), acked(2, 0)], 90);
    expect(await value(m, "courier_compensated_entries_total")).toBe(6);
  });

  it("counts sends, snapshots, resets and what the web app reports", async () => {
    const m = new Metrics();
    const l = m.listener;
    l.stored!({ messageId: "m1", conversationId: "c1", seq: 1, senderId: "u1", acceptedAt: 1000, at: 1004 });
    l.resynced!("u1", "snapshot", 0);
    l.resynced!("u1", "reset", 0);
    l.resynced!("u1", "reset", 0);
    l.client!("u1", { transport: "sse", renderMs: [20, 30], holePulls: 3, switches: [{ from: "ws", to: "sse" }], outboxMs: [1500] }, 0);
    l.client!("u1", { transport: null, renderMs: [10], holePulls: 0, switches: [], outboxMs: [] }, 0);
    expect(await value(m, "courier_messages_total")).toBe(1);
    expect(await value(m, "courier_send_commit_seconds_sum")).toBeCloseTo(0.004);
    expect(await value(m, "courier_sync_snapshots_total")).toBe(1);
    expect(await value(m, "courier_sync_resets_total")).toBe(2);
    expect(await value(m, 'courier_client_render_seconds_count{transport="sse"}')).toBe(2);
    expect(await value(m, 'courier_client_render_seconds_sum{transport="sse"}')).toBeCloseTo(0.05);
    expect(await value(m, 'courier_client_render_seconds_count{transport="unknown"}')).toBe(1);
    expect(await value(m, "courier_client_hole_pulls_total")).toBe(3);
    expect(await value(m, 'courier_client_transport_switches_total{from="ws",to="sse"}')).toBe(1);
    expect(await value(m, "courier_client_outbox_seconds_sum")).toBeCloseTo(1.5);
  });

  it("PINGs Redis every 10 s until closed; a link that is down is no observation", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const m = new Metrics();
      const answers: (number | null | Error)[] = [12, null, new Error("gone"), 30];
      m.watchRedis(async () => {
        const next = answers.shift()!;
        if (next instanceof Error) throw next;
        return next;
      });
      expect(await value(m, 'courier_redis_seconds_count{op="ping"}')).toBe(0);
      for (let i = 0; i < 3; i++) await vi.advanceTimersByTimeAsync(REDIS_PING_EVERY_MS);
      expect(await value(m, 'courier_redis_seconds_count{op="ping"}')).toBe(1);
      expect(await value(m, 'courier_redis_seconds_sum{op="ping"}')).toBeCloseTo(0.012);
      m.close();
      await vi.advanceTimersByTimeAsync(REDIS_PING_EVERY_MS);
      expect(answers).toEqual([30]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a process with REDIS_URL times PINGs on its real Redis link; without it, no Redis series", async () => {
    const url = process.env.TEST_REDIS_URL;
    if (!url) throw new Error("Set TEST_REDIS_URL or run the tests through npm test, which starts Redis.");
    server = await startServer({ redisUrl: url });
    const link = server.cluster.link!;
    await eventually(() => link.up);
    await server.metrics.pingRedis();
    const s = parseExposition((await scrape(server)).res.body);
    expect(s.values.get('courier_redis_seconds_count{op="ping"}')).toBe(1);
    expect(s.values.get('courier_redis_seconds_sum{op="ping"}')).toBeGreaterThan(0);
    await server.dispose();
    server = await startServer();
    expect((await scrape(server)).res.body).not.toContain('courier_redis_seconds_count{op="ping"}');
  });
});

describe("metrics under real traffic", () => {
  it("move with sends, pushes and acks on WebSocket, a retransmission, a compensation, a hand-over and a bad request; no id, text or token in them", async () => {
    server = await startServer({ retry: { baseMs: 100, stepMs: 100, maxMs: 300, lifetimeMs: 60_000 } });
    const s = server;
    const url = await listen(s);
    const [alice, bob] = [await register(s.app), await register(s.app)];
    const { conversationId } = await openDirect(s.app, alice, bob);
    const deviceId = randomUUID();
    expect((await call(s.app, "PUT", `/api/devices/${deviceId}`, { token: alice.token, body: { protocol: 1, capabilities: ["ack"] } })).status).toBe(200);
    const c = connect(url, { token: alice.token, deviceId, protocol: 1 });
    clients.push(c);
    let v = (await c.hello).heads.chat;
    const read = async () => parseExposition((await scrape(s)).res.body);
    const at = async (series: string) => (await read()).values.get(series) ?? 0;
    const ack = async () => expect(await emitAck<{ ok: boolean }>(c.socket, "ack", { acks: { chat: v } })).toMatchObject({ ok: true });
    // What the device held before (its chat's opening): acked before counting starts.
    await ack();
    const before = await read();
    const grew = async (series: string) => (await at(series)) - (before.values.get(series) ?? 0);
    /** `eventually`, naming what did not happen. */
    const until = (what: string, check: () => boolean | Promise<boolean>) => eventually(check).catch(() => Promise.reject(new Error(`not in time: ${what}`)));
    const sent: string[] = [];
    const send = async (text: string) => {
      sent.push((await sendHttp(s.app, bob, conversationId, text)).id);
      v++;
      const wanted = v;
      await until(`push of chat ${wanted}`, () => c.pushed.some((e) => e.d === "chat" && e.v === wanted));
    };

    // Send N, pushed live on WebSocket, acked N.
    const N = 3;
    for (let i = 0; i < N; i++) await send(`secret words ${i}`);
    await ack();
    expect(await grew("courier_messages_total")).toBe(N);
    expect(await grew("courier_send_commit_seconds_count")).toBe(N);
    expect(await grew('courier_entries_pushed_total{transport="ws"}')).toBe(N);
    expect(await grew('courier_push_seconds_count{transport="ws"}')).toBe(N);
    expect(await grew("courier_entries_acked_total")).toBe(N);
    expect(await grew('courier_delivery_seconds_count{transport="ws"}')).toBe(N);
    expect(await at('courier_connections{transport="ws"}')).toBe(1);

    // Unacked: re-pushed until acked.
    const repushedBefore = await at("courier_retransmits_total");
    await send("are you there?");
    await until("a re-push", async () => (await at("courier_retransmits_total")) > repushedBefore);
    await ack();
    await until("a round acked", async () => (await grew('courier_retransmit_rounds_total{outcome="acked"}')) >= 1);

    // Pushed, then pulled by the device, then acked: a compensation.
    expect(await grew("courier_compensated_entries_total")).toBe(0);
    await send("pull me");
    const pulled = await emitAck<{ ok: boolean; entries: Entry[] }>(c.socket, "pull", { d: "chat", after: v - 1 });
    expect(pulled.entries.map((e) => e.v)).toEqual([v]);
    await ack();
    expect(await grew("courier_compensated_entries_total")).toBe(1);
    expect(await grew("courier_compensation_delay_seconds_count")).toBe(1);
    expect(await grew("courier_sync_pulls_total")).toBeGreaterThanOrEqual(1);

    // Pushed, and the device goes away without acking: handed over to Web Push.
    await send("gone?");
    c.socket.disconnect();
    await until("a hand-over", async () => (await grew('courier_offline_handovers_total{reason="disconnected"}')) === 1);
    await until("no connection", async () => (await at('courier_connections{transport="ws"}')) === 0);

    // A bad request, over HTTP and on a socket, counted by its code.
    expect((await call(s.app, "POST", "/api/messages", { token: bob.token, body: { conversationId } })).status).toBe(400);
    const b = connect(url, { token: bob.token, deviceId: randomUUID(), protocol: 1 });
    clients.push(b);
    await b.hello;
    expect(await emitAck(b.socket, "pull", { d: "nope", after: 0 })).toMatchObject({ ok: false, error: { code: "bad_request" } });
    expect(await grew('courier_errors_total{code="bad_request"}')).toBe(2);

    const after = await read();
    expect(await grew("courier_messages_total")).toBe(N + 3);
    const secrets = [alice.user.id, bob.user.id, deviceId, conversationId, ...sent];
    for (const value of labelValues(after)) expect(secrets).not.toContain(value);
    for (const secret of [...secrets, alice.token, bob.token, "secret words", "pull me", "are you there"]) expect(after.text).not.toContain(secret);
  });
});
