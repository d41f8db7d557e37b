import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { CourierError } from "../../shared/protocol/index.js";
import { decide, NetworkError } from "./errors.js";
import { Http } from "./http.js";

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
    expect(onUnauthorized).toHaveBeenCalledOnce();
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
});
