import { afterEach, describe, expect, it } from "vitest";
import { SESSION_COOKIE, TELEMETRY_BODY_MAX_BYTES, TELEMETRY_PATH, type TelemetryReport } from "../../shared/protocol/index.js";
import { DEFAULT_RATE_LIMITS } from "../config.js";
import { call, register, type Session, startServer, type TestServer } from "../testing/harness.js";
import type { ClientReport } from "./events.js";

/**
 * `POST /api/telemetry` (docs/protocol.md "Telemetry"): a signed-in app's
 * report reaches `ctx.events.client` (what the `courier_client_*` metrics
 * listen to) as sent, with the server's time; anything else is refused with
 * a clear 4xx and reaches nobody.
 */
let server: TestServer;
let now = 5_000_000;
let heard: { userId: string; report: ClientReport; at: number }[];

afterEach(async () => {
  await server?.dispose();
});

async function start(telemetryPerUser = DEFAULT_RATE_LIMITS.telemetryPerUser): Promise<void> {
  server = await startServer({ rateLimits: { ...DEFAULT_RATE_LIMITS, telemetryPerUser } }, { clock: () => now });
  heard = [];
  server.events.listen({ client: (userId, report, at) => heard.push({ userId, report, at }) });
}

const REPORT: TelemetryReport = {
  transport: "ws",
  renderMs: [12.5, 40, 3],
  holePulls: 2,
  switches: [{ from: "ws", to: "sse" }, { from: "sse", to: "ws" }],
  outboxMs: [0, 1800],
};

/** A series' value in this server's exposition (`name{labels}` as printed), undefined when absent. */
async function series(name: string): Promise<number | undefined> {
  const line = (await server.metrics.registry.metrics()).split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

const report = (s: Session | null, body: unknown) => call<{ error?: { code: string; message: string } }>(server.app, "POST", TELEMETRY_PATH, { token: s?.token, body });

describe("POST /api/telemetry", () => {
  it("hands a signed-in app's report to the delivery events as sent, at the server's time: 204", async () => {
    await start();
    const ann = await register(server.app);
    now = 5_000_123;
    const res = await report(ann, REPORT);
    expect(res.status).toBe(204);
    expect(heard).toEqual([{ userId: ann.user.id, report: REPORT, at: 5_000_123 }]);
    // What an operator scraping /metrics sees move.
    expect(await series('courier_client_render_seconds_count{transport="ws"}')).toBe(3);
    expect(await series('courier_client_render_seconds_sum{transport="ws"}')).toBeCloseTo(0.0555);
    expect(await series("courier_client_hole_pulls_total")).toBe(2);
    expect(await series('courier_client_transport_switches_total{from="ws",to="sse"}')).toBe(1);
    expect(await series('courier_client_transport_switches_total{from="sse",to="ws"}')).toBe(1);
    expect(await series("courier_client_outbox_seconds_count")).toBe(2);
    expect(await series("courier_client_outbox_seconds_sum")).toBeCloseTo(1.8);
    // Nothing seen yet is a report too (an empty batch is never sent by the app, but it is valid).
    expect((await report(ann, { transport: null, renderMs: [], holePulls: 0, switches: [], outboxMs: [] })).status).toBe(204);
    expect(heard).toHaveLength(2);
  });

  it("takes the app's own request: cookie session from its origin (fetch keepalive), refused from another site", async () => {
    await start();
    const ann = await register(server.app);
    const send = (origin: string) =>
      server.app.inject({
        method: "POST",
        url: TELEMETRY_PATH,
        headers: { cookie: `${SESSION_COOKIE}=${ann.token}`, origin, "content-type": "application/json" },
        payload: JSON.stringify(REPORT),
      });
    expect((await send("http://localhost:80")).statusCode).toBe(204);
    expect((await send("https://evil.example")).statusCode).toBe(403);
    expect(heard).toHaveLength(1);
  });

  it("refuses bad reports with 400 and a message naming the field; none reaches the events", async () => {
    await start();
    const ann = await register(server.app);
    const bad: [unknown, RegExp][] = [
      [{ ...REPORT, userId: ann.user.id }, /^Unknown field: userId\./],
      [{ ...REPORT, renderMs: Array.from({ length: 201 }, () => 1) }, /^Render ms can have at most 200 item/],
      [{ ...REPORT, outboxMs: [-1] }, /^Outbox ms must be at least 0\./],
      [{ ...REPORT, renderMs: ["NaN"] }, /^Render ms must be a number\./],
      [{ ...REPORT, renderMs: [600_001] }, /^Render ms must be at most 600000\./],
      [{ ...REPORT, holePulls: 1.5 }, /^Hole pulls must be a whole number\./],
      [{ ...REPORT, holePulls: 10_001 }, /^Hole pulls must be at most 10000\./],
      [{ ...REPORT, transport: "carrier-pigeon" }, /^Unknown transport "carrier-pigeon"; one of: ws, sse, poll\./],
      [{ ...REPORT, switches: [{ from: "ws", to: "sse", why: "x" }] }, /^Unknown field: why\./],
      [{ ...REPORT, switches: [{ from: "ws", to: "ws" }] }, /^A transport switch names two different transports\./],
      [{ ...REPORT, switches: Array.from({ length: 51 }, () => ({ from: "ws", to: "sse" })) }, /^Switches can have at most 50 item/],
      [{ transport: "ws", renderMs: [] }, /^Hole pulls is required\./],
      [[REPORT], /^The request body must be a JSON object\./],
    ];
    for (const [body, message] of bad) {
      const res = await report(ann, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.error?.code).toBe("bad_request");
      expect(res.body.error?.message).toMatch(message);
    }
    expect(heard).toEqual([]);
    expect(await series("courier_client_hole_pulls_total")).toBe(0);
    expect(await series('courier_client_render_seconds_count{transport="ws"}')).toBe(0);
    // Refused reports spent none of the user's budget (6 a minute): a good one still goes through.
    expect((await report(ann, REPORT)).status).toBe(204);
  });

  it("needs a session: 401", async () => {
    await start();
    const res = await report(null, REPORT);
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe("unauthorized");
    expect(heard).toEqual([]);
  });

  it("is limited per user (telemetryPerUser): 429 with Retry-After; someone else still reports", async () => {
    await start({ limit: 2, windowMs: 60_000 });
    const [ann, bob] = [await register(server.app), await register(server.app)];
    expect((await report(ann, REPORT)).status).toBe(204);
    expect((await report(ann, REPORT)).status).toBe(204);
    const refused = await report(ann, REPORT);
    expect(refused.status).toBe(429);
    expect(refused.body.error?.code).toBe("rate_limited");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect((await report(bob, REPORT)).status).toBe(204);
    expect(heard.map((h) => h.userId)).toEqual([ann.user.id, ann.user.id, bob.user.id]);
    // The window refills on the server's clock.
    now += 30_000;
    expect((await report(ann, REPORT)).status).toBe(204);
  });

  it("refuses a body over 16 KB with 413 in its own words (below the server's general 64 KB)", async () => {
    await start();
    const ann = await register(server.app);
    // The largest valid report is under 12 KB (400 numbers of at most 23 characters, 50 switches): this is not one.
    const padded = { ...REPORT, renderMs: Array.from({ length: 3000 }, () => 599_999.5) };
    const size = Buffer.byteLength(JSON.stringify(padded));
    expect(size).toBeGreaterThan(TELEMETRY_BODY_MAX_BYTES);
    expect(size).toBeLessThan(64 * 1024);
    const res = await report(ann, padded);
    expect(res.status).toBe(413);
    expect(res.body.error).toEqual({ code: "too_large", message: "A telemetry report is at most 16 KB of JSON." });
    expect(heard).toEqual([]);
    // The largest valid report (the longest numbers JSON writes, every list full) is taken.
    const longest = 2.2250738585072014e-308;
    const largest: TelemetryReport = {
      transport: "poll",
      renderMs: Array.from({ length: 200 }, () => longest),
      holePulls: 10_000,
      switches: Array.from({ length: 50 }, () => ({ from: "poll", to: "sse" })),
      outboxMs: Array.from({ length: 200 }, () => longest),
    };
    expect(Buffer.byteLength(JSON.stringify(largest))).toBeLessThan(12 * 1024);
    expect((await report(ann, largest)).status).toBe(204);
  });
});
