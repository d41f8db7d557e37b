import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { call, pullAll, register, startServer, type TestServer } from "../testing/harness.js";

let server: TestServer;
afterEach(async () => server?.dispose());

describe("follow", () => {
  it("follows idempotently and tells the followed user once, in their system domain", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const first = await call(app, "POST", `/api/users/${bob.user.id}/follow`, { token: alice.token });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ following: true, user: bob.user });
    expect((await call(app, "POST", `/api/users/${bob.user.id}/follow`, { token: alice.token })).status).toBe(200);
    const notices = (await pullAll(app, bob, "system")).entries.filter((e) => e.k === "notice");
    expect(notices).toEqual([expect.objectContaining({ d: "system", k: "notice", data: { type: "follow", user: alice.user } })]);
    expect((await pullAll(app, alice, "system")).entries).toEqual([]);
  });

  it("unfollows idempotently; following again within a day does not notify again", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    await call(app, "POST", `/api/users/${bob.user.id}/follow`, { token: alice.token });
    expect((await call(app, "DELETE", `/api/users/${bob.user.id}/follow`, { token: alice.token })).status).toBe(204);
    expect((await call(app, "DELETE", `/api/users/${bob.user.id}/follow`, { token: alice.token })).status).toBe(204);
    expect((await call(app, "POST", `/api/users/${bob.user.id}/follow`, { token: alice.token })).status).toBe(201);
    expect((await pullAll(app, bob, "system")).entries.filter((e) => e.k === "notice")).toHaveLength(1);
  });

  it("refuses yourself (400), unknown users (404), bad ids (400) and anonymous callers (401)", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    expect((await call(app, "POST", `/api/users/${alice.user.id}/follow`, { token: alice.token })).status).toBe(400);
    expect((await call(app, "DELETE", `/api/users/${alice.user.id}/follow`, { token: alice.token })).status).toBe(400);
    expect((await call(app, "POST", `/api/users/${randomUUID()}/follow`, { token: alice.token })).status).toBe(404);
    expect((await call(app, "DELETE", `/api/users/${randomUUID()}/follow`, { token: alice.token })).status).toBe(404);
    expect((await call(app, "POST", `/api/users/${"x".repeat(65)}/follow`, { token: alice.token })).status).toBe(400);
    expect((await call(app, "POST", `/api/users/${alice.user.id}/follow`)).status).toBe(401);
  });
});
