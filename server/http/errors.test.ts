import { afterEach, describe, expect, it } from "vitest";
import { call, register, startServer, type TestServer } from "../testing/harness.js";

let server: TestServer;
afterEach(async () => server?.dispose());

describe("the router's refusals in Courier's shape", () => {
  it("answers an id thousands of characters long with 400 'That id is too long.' and never echoes the URL", async () => {
    server = await startServer();
    const alice = await register(server.app, "alice");
    for (const length of [101, 3000, 5000]) {
      const id = "x".repeat(length);
      for (const [method, url] of [
        ["POST", `/api/messages/${id}/recall`],
        ["POST", `/api/messages/${id}/hide`],
        ["GET", `/api/conversations/${id}/messages`],
      ] as const) {
        const res = await call(server.app, method, url, { token: alice.token, body: method === "POST" ? {} : undefined });
        expect([url.slice(0, 30), res.status, res.body]).toEqual([url.slice(0, 30), 400, { error: { code: "bad_request", message: "That id is too long." } }]);
      }
    }
  });

  it("answers a broken %-escape in a path with 400 and no echo", async () => {
    server = await startServer();
    const alice = await register(server.app, "alice");
    const res = await call(server.app, "POST", "/api/messages/abc%E0%A4%A/recall", { token: alice.token, body: {} });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: "bad_request", message: "The address has a broken %-escape." } });
  });
});
