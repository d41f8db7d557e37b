import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { CourierError } from "../../shared/protocol/index.js";
import { Api, SNAPSHOT_TIMEOUT_MS } from "./client.js";
import { decide, NetworkError } from "./errors.js";
import { DEFAULT_TIMEOUT_MS, Http, type Fetch } from "./http.js";

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

describe("Http", () => {
  it("sends the device id, the cookie and JSON; validates the answer", async () => {
    const fetchFn = vi.fn(async () => json(200, { n: 1 }));
    const http = new Http("", fetchFn);
    http.setDeviceId("dev-1");
    const out = await http.request("POST", "/api/x", { body: { a: 1 }, query: { q: "a b", skip: undefined }, schema: z.object({ n: z.number() }) });
    expect(out).toEqual({ n: 1 });
    const [url, init] = fetchFn.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/x?q=a+b");
    expect(init.credentials).toBe("include");
    expect((init.headers as Record<string, string>)["X-Device-Id"]).toBe("dev-1");
    expect(init.body).toBe('{"a":1}');
  });

  it("maps an error body to a CourierError with its code, message and decision", async () => {
    const http = new Http("", async () => json(400, { error: { code: "bad_request", message: "Invalid username: too short" } }));
    const error = await http.request("GET", "/api/x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CourierError);
    expect((error as CourierError).code).toBe("bad_request");
    expect((error as CourierError).message).toBe("Invalid username: too short");
    expect(decide(error)).toBe("give_up");
  });

  it("reads Retry-After and decides to retry a rate limit", async () => {
    const http = new Http("", async () => json(429, { error: { code: "rate_limited", message: "slow down" } }, { "Retry-After": "3" }));
    const error = (await http.request("GET", "/api/x").catch((e: unknown) => e)) as CourierError;
    expect(error.retryAfterMs).toBe(3000);
    expect(decide(error)).toBe("retry");
  });

  it("tells the app about a 401 and decides to re-authenticate", async () => {
    const http = new Http("", async () => json(401, { error: { code: "unauthorized", message: "Sign in first." } }));
    const onUnauthorized = vi.fn();
    http.onUnauthorized = onUnauthorized;
    const error = await http.request("GET", "/api/me").catch((e: unknown) => e);
    expect(decide(error)).toBe("reauth");
    expect(onUnauthorized).toHaveBeenCalledExactlyOnceWith(error, expect.any(Number));
  });

  it("tells the app why a 401 came when the server says so (an administrator's sign_out)", async () => {
    const body = { error: { code: "unauthorized", message: "An administrator signed this device out; sign in again.", reason: "signed_out_by_admin" } };
    // The answer comes a minute after the request left: the app is told when it left (a sign-in since makes it stale).
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(1_000_000);
      const http = new Http("", async () => {
        vi.setSystemTime(1_060_000);
        return json(401, body);
      });
      const onUnauthorized = vi.fn();
      http.onUnauthorized = onUnauthorized;
      const error = (await http.request("GET", "/api/poll").catch((e: unknown) => e)) as CourierError;
      expect(error.reason).toBe("signed_out_by_admin");
      expect(decide(error)).toBe("reauth");
      expect(onUnauthorized).toHaveBeenCalledExactlyOnceWith(error, 1_000_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it("falls back to the status when the body is not ours (a proxy page)", async () => {
    const http = new Http("", async () => new Response("<html>Bad gateway</html>", { status: 502 }));
    const error = (await http.request("GET", "/api/x").catch((e: unknown) => e)) as CourierError;
    expect(error.code).toBe("internal");
    expect(decide(error)).toBe("retry");
  });

  it("turns a failed fetch into a NetworkError (retry) and accepts empty 204 bodies", async () => {
    const offline = new Http("", async () => {
      throw new TypeError("Failed to fetch");
    });
    const error = await offline.request("GET", "/api/x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(decide(error)).toBe("retry");

    const empty = new Http("", async () => new Response(null, { status: 204 }));
    await expect(empty.request("POST", "/api/auth/logout", { schema: z.unknown() })).resolves.toBeUndefined();
  });

  describe("timeouts", () => {
    // AbortSignal.timeout runs on Node's internal timers, which fake timers do
    // not reach: stand in one on setTimeout with the same abort reason.
    const timeouts: number[] = [];
    function fakeTimeoutSignals(): void {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
      timeouts.length = 0;
      vi.spyOn(AbortSignal, "timeout").mockImplementation((ms) => {
        timeouts.push(ms);
        const controller = new AbortController();
        setTimeout(() => controller.abort(new DOMException("The operation timed out.", "TimeoutError")), ms);
        return controller.signal;
      });
    }
    afterEach(() => {
      vi.restoreAllMocks();
      vi.useRealTimers();
    });

    /** A server that never answers: the fetch settles only when its signal aborts, as a browser's does. */
    const hanging: Fetch = (_url, init) =>
      new Promise((_resolve, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason), { once: true }));

    it("gives up on a request with no answer after 15 s, as a NetworkError the caller retries", async () => {
      fakeTimeoutSignals();
      const http = new Http("", hanging);
      let outcome: unknown = "pending";
      void http.request("GET", "/api/sync/chat").then(
        (v) => (outcome = v),
        (e: unknown) => (outcome = e),
      );
      await vi.advanceTimersByTimeAsync(DEFAULT_TIMEOUT_MS - 1);
      expect(outcome).toBe("pending");
      await vi.advanceTimersByTimeAsync(1);
      expect(outcome).toBeInstanceOf(NetworkError);
      expect((outcome as NetworkError).message).toMatch(/timed out/);
      expect(decide(outcome)).toBe("retry");
      expect(DEFAULT_TIMEOUT_MS).toBe(15_000);
    });

    it("gives the snapshot 60 s", async () => {
      fakeTimeoutSignals();
      const api = new Api(new Http("", hanging));
      let outcome: unknown = "pending";
      void api.snapshot().catch((e: unknown) => (outcome = e));
      await vi.advanceTimersByTimeAsync(DEFAULT_TIMEOUT_MS);
      expect(outcome).toBe("pending");
      await vi.advanceTimersByTimeAsync(SNAPSHOT_TIMEOUT_MS - DEFAULT_TIMEOUT_MS);
      expect(outcome).toBeInstanceOf(NetworkError);
      expect(timeouts).toEqual([60_000]);
    });

    it("times out a body that stops arriving", async () => {
      fakeTimeoutSignals();
      const stalled: Fetch = async (_url, init) =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('{"n":'));
              init.signal?.addEventListener("abort", () => controller.error(init.signal?.reason));
            },
          }),
          { status: 200 },
        );
      const http = new Http("", stalled);
      const result = http.request("GET", "/api/x", { schema: z.object({ n: z.number() }) }).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(DEFAULT_TIMEOUT_MS);
      const error = await result;
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as NetworkError).message).toMatch(/timed out/);
    });

    it("combines the caller's signal with the timeout; an abort is a NetworkError too", async () => {
      const http = new Http("", hanging);
      const controller = new AbortController();
      const result = http.request("GET", "/api/x", { signal: controller.signal }).catch((e: unknown) => e);
      controller.abort();
      const error = await result;
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as NetworkError).message).toMatch(/aborted/);
    });
  });
});
