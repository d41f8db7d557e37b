import webpush from "web-push";
import { describe, expect, it } from "vitest";
import { HostPolicy } from "./net-guard.js";
import { parseRetryAfter, type PushMessage, PushSender, type Transport, type WireResponse } from "./sender.js";
import { makeSubscriber } from "./testing/web-push-client.js";

const keys = webpush.generateVAPIDKeys();
const message = (endpoint = "https://push.example.com/x"): PushMessage => ({
  subscription: makeSubscriber(endpoint).subscription,
  payload: JSON.stringify({ hello: "world" }),
  ttlSeconds: 60,
  urgency: "high",
  topic: "abc",
});

/** A push service that answers from a script, recording when it was called. */
function scripted(...answers: (WireResponse | Error)[]) {
  const calls: { endpoint: string; headers: Record<string, string> }[] = [];
  const transport: Transport = async (endpoint, req) => {
    calls.push({ endpoint, headers: req.headers });
    const next = answers.length > 1 ? answers.shift()! : answers[0]!;
    if (next instanceof Error) throw next;
    return next;
  };
  return { calls, transport };
}

function sender(transport: Transport, extra: { maxAttempts?: number; sleeps?: number[]; maxRetryDelayMs?: number; concurrency?: number } = {}) {
  const sleeps = extra.sleeps ?? [];
  let retries = 0;
  const s = new PushSender({
    vapid: { ...keys, subject: "mailto:ops@example.com" },
    policy: new HostPolicy([]),
    concurrency: extra.concurrency ?? 8,
    maxAttempts: extra.maxAttempts ?? 4,
    transport,
    sleep: async (ms) => void sleeps.push(ms),
    maxRetryDelayMs: extra.maxRetryDelayMs,
    now: () => Date.parse("2026-01-01T00:00:00Z"),
    onRetry: () => retries++,
  });
  return { s, sleeps, retries: () => retries };
}

const status = (n: number, headers: Record<string, string> = {}): WireResponse => ({ status: n, headers });

describe("push sender", () => {
  it("sends an aes128gcm request with VAPID, TTL, Urgency and Topic headers", async () => {
    const { calls, transport } = scripted(status(201));
    const { s } = sender(transport);
    expect(await s.send(message())).toEqual({ ok: true, status: 201, attempts: 1 });
    expect(calls[0]!.headers).toMatchObject({ TTL: "60", Urgency: "high", Topic: "abc", "Content-Encoding": "aes128gcm" });
    expect(calls[0]!.headers.Authorization).toMatch(/^vapid t=[\w-]+\.[\w-]+\.[\w-]+, k=[\w-]+$/);
  });

  it("retries 429 and 5xx honouring Retry-After (seconds or a date), else backing off, up to maxAttempts", async () => {
    const a = scripted(status(429, { "retry-after": "7" }), status(503, { "retry-after": "Thu, 01 Jan 2026 00:00:03 GMT" }), status(500), status(201));
    const one = sender(a.transport);
    expect(await one.s.send(message())).toEqual({ ok: true, status: 201, attempts: 4 });
    expect(one.sleeps).toEqual([7000, 3000, 4000]);
    expect(one.retries()).toBe(3);

    const b = scripted(status(503));
    const two = sender(b.transport, { maxAttempts: 3 });
    expect(await two.s.send(message())).toEqual({ ok: false, reason: "status_503", status: 503, attempts: 3 });
    expect(two.sleeps).toEqual([1000, 2000]);
  });

  it("does not wait for a Retry-After beyond its limit, and never retries other 4xx", async () => {
    const long = sender(scripted(status(429, { "retry-after": "3600" })).transport, { maxRetryDelayMs: 60_000 });
    expect(await long.s.send(message())).toMatchObject({ ok: false, reason: "status_429", attempts: 1 });
    expect(long.sleeps).toEqual([]);
    const bad = sender(scripted(status(400)).transport);
    expect(await bad.s.send(message())).toMatchObject({ ok: false, reason: "status_400", attempts: 1 });
    const tooBig = sender(scripted(status(413)).transport);
    expect(await tooBig.s.send(message())).toMatchObject({ ok: false, reason: "status_413" });
  });

  it("reports 404 and 410 as an expired subscription", async () => {
    expect(await sender(scripted(status(410)).transport).s.send(message())).toMatchObject({ ok: false, reason: "expired", status: 410 });
    expect(await sender(scripted(status(404)).transport).s.send(message())).toMatchObject({ ok: false, reason: "expired", status: 404 });
  });

  it("retries network failures, and gives up on blocked addresses at once", async () => {
    const net = sender(scripted(new Error("ECONNRESET"), status(201)).transport);
    expect(await net.s.send(message())).toMatchObject({ ok: true, attempts: 2 });
    const blocked = sender(scripted(Object.assign(new Error("internal"), { code: "EPUSHBLOCKED" })).transport);
    expect(await blocked.s.send(message())).toMatchObject({ ok: false, reason: "blocked", attempts: 1 });
    // A literal internal address never reaches the transport.
    const literal = scripted(status(201));
    expect(await sender(literal.transport).s.send(message("https://10.0.0.1/x"))).toMatchObject({ ok: false, reason: "blocked", attempts: 0 });
    expect(literal.calls).toEqual([]);
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    let inFlight = 0;
    let peak = 0;
    const transport: Transport = async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return status(201);
    };
    const { s } = sender(transport, { concurrency: 3 });
    const results = await Promise.all(Array.from({ length: 12 }, () => s.send(message())));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(peak).toBe(3);
    expect(s.backlog).toBe(0);
  });

  it("parses Retry-After", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:01:00 GMT", now)).toBe(60_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
