import { describe, expect, it } from "vitest";
import { decide } from "../api/errors.js";
import { toCourierError } from "./ws-transport.js";

describe("WebSocket acknowledgement errors", () => {
  it("carry the server's retryAfterMs for a rate limit, as HTTP's Retry-After does", () => {
    const error = toCourierError({ code: "rate_limited", message: "Too many messages; try again in 2 s.", retryAfterMs: 1_500 });
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfterMs).toBe(1_500);
    expect(decide(error)).toBe("retry");
  });

  it("ignore a missing or nonsensical wait", () => {
    expect(toCourierError({ code: "rate_limited", message: "slow down" }).retryAfterMs).toBeUndefined();
    expect(toCourierError({ code: "rate_limited", message: "slow down", retryAfterMs: "soon" }).retryAfterMs).toBeUndefined();
    expect(toCourierError({ code: "rate_limited", message: "slow down", retryAfterMs: -1 }).retryAfterMs).toBeUndefined();
  });
});
