import { describe, expect, it } from "vitest";
import { CourierError } from "../../shared/protocol/index.js";
import { NetworkError } from "../api/errors.js";
import { keyFacts } from "./diagnostics.js";
import { ago, formatValue, offset } from "./format.js";
import { signInError } from "./sign-in.js";
import { traceError } from "./trace-lookup.js";

/** What the admin page says, in the operator's words: the errors of each request, a report's key facts, numbers. */
describe("the admin page's words", () => {
  it("a trace lookup: 404 is an unknown or expired message, 400 the server's own message, no answer says so", () => {
    expect(traceError(CourierError.notFound("No such message."))).toBe("No trace: unknown message or older than an hour.");
    expect(traceError(CourierError.badRequest("id must be at most 64 characters."))).toBe("id must be at most 64 characters.");
    expect(traceError(new NetworkError())).toMatch(/unreachable/);
  });

  it("sign-in: a refused token, an admin API that is off, too many tries, no answer", () => {
    expect(signInError(CourierError.unauthorized("Admin token required."))).toBe("That admin token was refused.");
    expect(signInError(CourierError.notFound("Not found."))).toMatch(/set ADMIN_TOKEN/);
    expect(signInError(new CourierError("rate_limited", "Slow down."))).toMatch(/Too many wrong tokens/);
    expect(signInError(new NetworkError())).toMatch(/unreachable/);
  });

  it("a diagnostics result: status, app, outbox, transport, errors and stored rows; a failed one without a report gives its status", () => {
    const report = {
      appVersion: "0.1.0",
      protocol: 1,
      versions: { chat: 4 },
      outbox: { count: 2, oldestAgeMs: 95_000, failed: 1 },
      transportLog: [{ at: 1, transport: "sse", event: "connected" }, { at: 2, transport: "ws", event: "connected" }],
      recentErrors: [{ at: 1, message: "timeout" }],
      storage: { messages: 10, conversations: 2 },
    };
    expect(keyFacts({ deviceId: "d1", status: "done", detail: null, report, at: 1 })).toEqual([
      { label: "Status", value: "done" },
      { label: "App", value: "0.1.0 (protocol 1)" },
      { label: "Outbox", value: "2 waiting, 1 failed, oldest 95 s" },
      { label: "Transport", value: "ws" },
      { label: "Recent errors", value: "1" },
      { label: "Stored rows", value: "12" },
    ]);
    expect(keyFacts({ deviceId: "d1", status: "failed", detail: "quota exceeded", at: 1 })).toEqual([{ label: "Status", value: "failed: quota exceeded" }]);
  });

  it("numbers: rates, times, shares and gaps", () => {
    expect(formatValue(1.4444, "perSecond")).toBe("1.44/s");
    expect(formatValue(12.5, "ms")).toBe("12.5 ms");
    expect(formatValue(1500, "ms")).toBe("1.5 s");
    expect(formatValue(84.61, "percent")).toBe("84.6%");
    expect(formatValue(null, "ms")).toBe("–");
    expect(offset(0)).toBe("+0 ms");
    expect(ago(2_400)).toBe("2 s ago");
    expect(ago(180_000)).toBe("3 min ago");
  });
});
