import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { type IncomingHttpHeaders, request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PollResponse } from "../../shared/protocol/index.js";
import { nginxAvailable, type RunningNginx, startNginx } from "../../scripts/provision/nginx.js";
import { createTestSchema, type TestSchema } from "../testing/engines.js";
import { type Client, connect, emitAck, eventually, refusal, type Session } from "../testing/harness.js";
import { ServerProcess } from "../testing/server-process.js";
import { openStream, type SseClient } from "../testing/sse-client.js";

/**
 * deploy/nginx/courier.conf, as shipped (scripts/provision/nginx.ts replaces
 * only the listen port, the upstream addresses and the log path), in front of
 * two real server processes on one PostgreSQL (and Redis when the run has
 * one), with TRUST_PROXY=1. It proves the proxy layer only: what crosses
 * between the processes (live pushes, presence, closes) has tests of its own.
 *
 * Which process answered a request is read from nginx's access log
 * ($upstream_addr, in the config's `courier` log format).
 */
const TITLE = "nginx (deploy/nginx/courier.conf) in front of two Courier processes";
const skipReason = !process.env.TEST_DATABASE_URL
  ? "the two processes share one PostgreSQL: run it through `npm test`, which starts one (TEST_DATABASE_URL)"
  : !nginxAvailable()
    ? "nginx is not installed and may not be installed here (needs root with apt-get, and COURIER_NO_INSTALL unset): apt-get install nginx-light, or set TEST_NGINX_BIN"
    : null;

const HEARTBEAT_MS = 2000;
const REGISTER_PER_MIN = 2;

interface Answer<T> {
  status: number;
  headers: IncomingHttpHeaders;
  body: T;
}

/** A JSON request over a fresh connection, optionally from a chosen local address (any 127.x.y.z is this machine). */
function request<T = Record<string, unknown>>(
  url: string,
  opts: { method?: string; body?: unknown; token?: string; headers?: Record<string, string>; from?: string } = {},
): Promise<Answer<T>> {
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...opts.headers };
  if (payload !== undefined) headers["content-type"] = "application/json";
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? "GET", headers, agent: false, ...(opts.from ? { localAddress: opts.from } : {}) }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: kept as text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T });
      });
    });
    req.once("error", reject);
    req.end(payload);
  });
}

const suffix = randomBytes(4).toString("hex");
let users = 0;
function registerAt(url: string, from?: string): Promise<Answer<Session>> {
  const username = `px${suffix}_${++users}`;
  return request<Session>(`${url}/api/auth/register`, { method: "POST", body: { username, password: "correct horse" }, ...(from ? { from } : {}) });
}

interface LogLine {
  remote: string;
  request: string;
  status: number;
  /** Every process nginx tried, in order. */
  upstreams: string[];
}

describe.skipIf(skipReason !== null)(skipReason === null ? TITLE : `${TITLE} (skipped: ${skipReason})`, () => {
  let schema: TestSchema;
  let a: ServerProcess;
  let b: ServerProcess;
  let nginx: RunningNginx;
  let alice: Session;
  const sockets: Client[] = [];
  const streams: SseClient[] = [];

  const addressOf = (p: ServerProcess) => `127.0.0.1:${p.port}`;
  function accessLog(): LogLine[] {
    return readFileSync(nginx.accessLog, "utf8")
      .split("\n")
      .flatMap((line) => {
        const m = /^(\S+) \[[^\]]*\] "([^"]*)" (\d+) \d+ upstream=(.*?) upstream_status=/.exec(line);
        return m ? [{ remote: m[1]!, request: m[2]!, status: Number(m[3]), upstreams: m[4]!.split(", ") }] : [];
      });
  }
  /** The log lines written while `fn` ran. */
  async function logged(fn: () => Promise<void>): Promise<LogLine[]> {
    const before = accessLog().length;
    await fn();
    return accessLog().slice(before);
  }

  beforeAll(async () => {
    schema = await createTestSchema();
    const env: Record<string, string> = {
      DATABASE_URL: schema.url,
      TRUST_PROXY: "1",
      HEARTBEAT_MS: String(HEARTBEAT_MS),
      RATE_REGISTER_PER_MIN: String(REGISTER_PER_MIN),
      ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
    };
    [a, b] = await Promise.all([ServerProcess.start({ env }), ServerProcess.start({ env })]);
    nginx = await startNginx({ upstreams: [addressOf(a), addressOf(b)] });
    // Straight to a process: direct loopback clients are not rate limited.
    const registered = await registerAt(a.url);
    expect(registered.status).toBe(201);
    alice = registered.body;
  }, 120_000);

  afterAll(async () => {
    for (const client of sockets) client.socket.close();
    for (const stream of streams) stream.close();
    nginx?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    await schema?.drop();
  }, 60_000);

  it("upgrades socket.io to a WebSocket, and the server sees the browser's own origin", async () => {
    const client = connect(nginx.url, { token: alice.token, deviceId: randomUUID(), protocol: 1 }, { origin: nginx.url });
    sockets.push(client);
    const hello = await client.hello;
    expect(hello.transport).toBe("ws");
    expect(client.socket.io.engine.transport.name).toBe("websocket");
    // Both directions work through the tunnel.
    const pulled = await emitAck<{ ok: boolean }>(client.socket, "pull", { d: "chat", after: 0 });
    expect(pulled.ok).toBe(true);
    // nginx logs a tunnel when it ends: 101, and the process it went to.
    client.socket.close();
    const upgraded = () => accessLog().find((l) => l.request.startsWith("GET /socket.io/?") && l.request.includes("transport=websocket"));
    await eventually(() => upgraded() !== undefined, 5_000);
    expect(upgraded()!.status).toBe(101);
    expect([addressOf(a), addressOf(b)]).toContain(upgraded()!.upstreams[0]);

    // The Origin check passed above because nginx forwards Host with its port.
    // nginx sets X-Forwarded-Proto itself: a client claiming https does not make
    // an https Origin look like the server's own.
    const spoofed = connect(
      nginx.url,
      { token: alice.token, deviceId: randomUUID(), protocol: 1 },
      { origin: nginx.url.replace("http:", "https:"), "x-forwarded-proto": "https" },
    );
    sockets.push(spoofed);
    await refusal(spoofed);
  });

  it("streams SSE as it is written: hello at once, then every ping on its own", async () => {
    const opened = performance.now();
    const stream = await openStream(`${nginx.url}/api/stream?device=${randomUUID()}`, { authorization: `Bearer ${alice.token}` });
    streams.push(stream);
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    await stream.next((e) => e.event === "hello", 2_000);
    expect(performance.now() - opened).toBeLessThan(1_000);
    // A ping is a few dozen bytes: anything on the way that holds output back
    // (gzip, a cache) would deliver them late and in lumps, not one per interval.
    const first = await stream.next((e) => e.event === "ping", HEARTBEAT_MS + 2_000);
    const firstAt = performance.now();
    await stream.next((e) => e.event === "ping" && e !== first, HEARTBEAT_MS + 2_000);
    const gap = performance.now() - firstAt;
    expect(gap).toBeGreaterThan(HEARTBEAT_MS / 2);
    expect(gap).toBeLessThan(HEARTBEAT_MS * 2);
    // least_conn would steer the next tests' requests away from the process holding it.
    stream.close();
    await stream.ended;
  });

  it("holds a long-poll for its wait and answers it 200 (nginx does not cut it short)", async () => {
    const poll = (query: string) => request<PollResponse>(`${nginx.url}/api/poll?device=${device}&${query}`, { token: alice.token });
    const device = randomUUID();
    const first = await poll("wait=0");
    expect(first.status).toBe(200);
    const started = performance.now();
    const held = await poll(`cursor=${encodeURIComponent(first.body.cursor)}&wait=3000`);
    const elapsed = performance.now() - started;
    expect(held.status).toBe(200);
    expect(held.body.entries).toEqual([]);
    expect(elapsed).toBeGreaterThan(2_900);
    expect(elapsed).toBeLessThan(5_000);
  });

  it("passes on the Host the browser used: a foreign one is refused (DNS rebinding) whatever X-Forwarded-Host the client adds; the security headers come through", async () => {
    const item = { title: "Lamp", priceCents: 100 };
    const foreign = await request<{ error: { message: string } }>(`${nginx.url}/api/items`, {
      method: "POST",
      token: alice.token,
      body: item,
      headers: { host: "evil.example", "x-forwarded-host": "localhost" },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.message).toMatch(/ALLOWED_HOSTS/);
    const own = await request(`${nginx.url}/api/items`, { method: "POST", token: alice.token, body: item });
    expect(own.status).toBe(201);
    expect(own.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(own.headers["x-content-type-options"]).toBe("nosniff");
    // Plain http to nginx (X-Forwarded-Proto: http): no HSTS.
    expect(own.headers["strict-transport-security"]).toBeUndefined();
  });

  // With no connection left open by the tests above: least_conn then alternates.
  it("spreads requests over both processes, any session on any process (no stickiness)", async () => {
    const lines = await logged(async () => {
      for (let i = 0; i < 5; i++) expect((await request(`${nginx.url}/api/health`)).status).toBe(200);
      for (let i = 0; i < 5; i++) expect((await request(`${nginx.url}/api/conversations`, { token: alice.token })).status).toBe(200);
    });
    const served = (path: string) => new Set(lines.filter((l) => l.request.startsWith(`GET ${path} `)).map((l) => l.upstreams[0]));
    expect(served("/api/health")).toEqual(new Set([addressOf(a), addressOf(b)]));
    expect(served("/api/conversations")).toEqual(new Set([addressOf(a), addressOf(b)]));
  });

  it("honours X-Forwarded-For: per-address limits see each client's own address, which a client cannot spoof", async () => {
    // Three clients on three loopback addresses of a random /24 (nothing else in this run uses it).
    const net = `127.${randomInt(1, 255)}.${randomInt(1, 255)}`;
    const [exhausted, other, spoofer] = [`${net}.11`, `${net}.12`, `${net}.13`];

    // One client signs up until both processes refuse it (each keeps its own
    // buckets unless the limits are shared through Redis; either way).
    const refusedBy = new Set<string>();
    let refusal429: Answer<Session> | undefined;
    for (let i = 0; i < 4 * REGISTER_PER_MIN + 4 && refusedBy.size < 2; i++) {
      const lines = await logged(async () => {
        const res = await registerAt(nginx.url, exhausted);
        if (res.status === 429) refusal429 = res;
        else expect(res.status).toBe(201);
      });
      for (const l of lines) {
        expect(l.remote).toBe(exhausted);
        if (l.status === 429) refusedBy.add(l.upstreams[0]!);
      }
    }
    expect(refusedBy).toEqual(new Set([addressOf(a), addressOf(b)]));
    expect(Number(refusal429!.headers["retry-after"])).toBeGreaterThan(0);

    // Another address is another bucket, on both processes: the servers key on
    // the address nginx saw, not on nginx's own 127.0.0.1.
    const lines = await logged(async () => {
      for (let i = 0; i < 2; i++) expect((await registerAt(nginx.url, other)).status).toBe(201);
    });
    expect(new Set(lines.map((l) => l.upstreams[0]))).toEqual(new Set([addressOf(a), addressOf(b)]));

    // A client naming the refused address in its own X-Forwarded-For is still
    // judged by its real one: nginx appends that, and TRUST_PROXY=1 trusts one hop.
    for (let i = 0; i < 2; i++) {
      const res = await request<Session>(`${nginx.url}/api/auth/register`, {
        method: "POST",
        body: { username: `px${suffix}_s${i}`, password: "correct horse" },
        headers: { "x-forwarded-for": exhausted },
        from: spoofer,
      });
      expect(res.status).toBe(201);
    }
  });

  // Last: it takes the processes down.
  it("passes requests on when a process is gone (GETs, and POSTs it could not deliver), and answers 503 when none is left", async () => {
    const bob = (await registerAt(a.url)).body;
    await b.kill("SIGKILL");
    const lines = await logged(async () => {
      for (let i = 0; i < 4; i++) {
        expect((await request(`${nginx.url}/api/health`)).status).toBe(200);
        const opened = await request(`${nginx.url}/api/conversations`, { method: "POST", token: alice.token, body: { type: "direct", peerId: bob.user.id } });
        expect([200, 201]).toContain(opened.status);
      }
    });
    expect(lines.every((l) => l.upstreams.at(-1) === addressOf(a))).toBe(true);
    // Some went to the dead process first and were passed on (until nginx marked it failed).
    expect(lines.some((l) => l.upstreams.length === 2 && l.upstreams[0] === addressOf(b))).toBe(true);

    await a.kill("SIGKILL");
    const none = await request<{ error: { code: string } }>(`${nginx.url}/api/health`);
    expect(none.status).toBe(503);
    expect(none.body.error.code).toBe("unavailable");
    expect(none.headers["retry-after"]).toBe("2");
  });
});
