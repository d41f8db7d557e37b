import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { call, openDirect, pullAll, register, startServer, tempDir, type TestServer } from "../testing/harness.js";

let server: TestServer;
afterEach(async () => server?.dispose());

describe("bad input gets a 4xx and changes nothing", () => {
  it("answers malformed, oversized, mistyped and unknown-field bodies with protocol errors", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const conv = await openDirect(app, alice, bob);
    const headsBefore = (await call(app, "GET", "/api/sync/snapshot", { token: alice.token })).body.heads;
    const auth = { authorization: `Bearer ${alice.token}` };

    const malformed = await app.inject({ method: "POST", url: "/api/messages", headers: { ...auth, "content-type": "application/json" }, payload: "{nope" });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: { code: "bad_request" } });

    const huge = await app.inject({
      method: "POST",
      url: "/api/messages",
      headers: { ...auth, "content-type": "application/json" },
      payload: JSON.stringify({ body: "x".repeat(70 * 1024) }),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ error: { code: "too_large" } });

    const textPlain = await app.inject({ method: "POST", url: "/api/messages", headers: { ...auth, "content-type": "text/plain" }, payload: "hi" });
    expect(textPlain.statusCode).toBe(400);
    expect(textPlain.json()).toMatchObject({ error: { code: "bad_request" } });

    const send = (body: unknown) => call(app, "POST", "/api/messages", { token: alice.token, body });
    const good = { clientMsgId: randomUUID(), conversationId: conv.conversationId, kind: "text", body: "hi" };
    const cases: unknown[] = [
      { ...good, clientMsgId: "not-a-uuid" },
      { ...good, body: "x".repeat(4001) },
      { ...good, body: "   " },
      { ...good, kind: "system" },
      { ...good, extra: 1 },
      [good],
      "text",
      null,
    ];
    for (const body of cases) {
      const res = await send(body);
      expect(res.status, JSON.stringify(body)?.slice(0, 80)).toBe(400);
      expect(res.body).toMatchObject({ error: { code: "bad_request", message: expect.any(String) } });
    }

    for (const url of [
      "/api/sync/chat?after=-1",
      "/api/sync/chat?after=abc",
      "/api/sync/chat?after=1.5",
      "/api/sync/chat",
      "/api/sync/chat?after=0&limit=501",
      "/api/sync/chat?after=0&limit=0",
      "/api/sync/chat?after=0&after=1",
      "/api/sync/nope?after=0",
      `/api/conversations/${conv.conversationId}/messages?limit=1000`,
      `/api/conversations/${conv.conversationId}/messages?before=x`,
      "/api/users?q=" + "a".repeat(65),
    ]) {
      const res = await call(app, "GET", url, { token: alice.token });
      expect(res.status, url).toBe(400);
    }

    expect((await call(app, "PUT", "/api/devices/not-a-uuid", { token: alice.token, body: { protocol: 1, capabilities: [] } })).status).toBe(400);
    expect((await call(app, "PATCH", `/api/conversations/${conv.conversationId}/settings`, { token: alice.token, body: {} })).status).toBe(400);
    expect((await call(app, "POST", "/api/conversations", { token: alice.token, body: { type: "secret" } })).status).toBe(400);

    const headsAfter = (await call(app, "GET", "/api/sync/snapshot", { token: alice.token })).body.heads;
    expect(headsAfter).toEqual(headsBefore);
    expect((await pullAll(app, bob, "chat")).entries.filter((e) => e.k === "msg")).toHaveLength(0);
  });

  it("answers unknown API routes with a JSON 404 and a malformed URL with a JSON 400", async () => {
    server = await startServer();
    const badUrl = await server.app.inject({ method: "GET", url: "/api/items/%E0%A4%A" });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json()).toMatchObject({ error: { code: "bad_request" } });
    const res = await call(server.app, "GET", "/api/definitely-not");
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: { code: "not_found" } });
    expect((await call(server.app, "DELETE", "/api/me")).status).toBe(404);
  });

  it("serves the SPA with an index.html fallback for client routes, but never for /api", async () => {
    const dir = tempDir();
    const web = path.join(dir, "web");
    mkdirSync(web);
    writeFileSync(path.join(web, "index.html"), "<!doctype html><title>Courier</title>");
    writeFileSync(path.join(web, "app.js"), "console.log(1)");
    server = await startServer({ dataDir: dir, webDir: web });
    const { app } = server;
    const root = await app.inject({ method: "GET", url: "/" });
    expect(root.statusCode).toBe(200);
    expect(root.body).toContain("<title>Courier</title>");
    expect((await app.inject({ method: "GET", url: "/app.js" })).body).toContain("console.log");
    const deep = await app.inject({ method: "GET", url: "/c/some-conversation" });
    expect(deep.statusCode).toBe(200);
    expect(deep.headers["content-type"]).toMatch(/text\/html/);
    const api = await app.inject({ method: "GET", url: "/api/nothing-here" });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: { code: "not_found" } });
  });
});
