import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { Device } from "../../shared/protocol/index.js";
import { call, register, startServer, type TestServer } from "../testing/harness.js";

let server: TestServer;
afterEach(async () => server?.dispose());

describe("devices", () => {
  it("registers, lists and signs out a device; another user's device id is a conflict", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const id = randomUUID();
    const body = {
      protocol: 1,
      capabilities: ["ack", "ack", "future-thing"],
      userAgent: "Firefox",
      notification: "granted",
      push: { endpoint: "https://push.example.com/abc", keys: { p256dh: "key", auth: "secret" } },
    };
    const put = await call<{ device: Device }>(app, "PUT", `/api/devices/${id}`, { token: alice.token, body });
    expect(put.status).toBe(200);
    expect(put.body.device).toMatchObject({ id, userAgent: "Firefox", capabilities: ["ack", "future-thing"], notification: "granted", push: true, online: false });

    expect((await call(app, "PUT", `/api/devices/${id}`, { token: bob.token, body })).status).toBe(409);
    const http = { ...body, push: { ...body.push, endpoint: "http://push.example.com/abc" } };
    expect((await call(app, "PUT", `/api/devices/${randomUUID()}`, { token: alice.token, body: http })).status).toBe(400);

    const cleared = await call<{ device: Device }>(app, "PUT", `/api/devices/${id}`, { token: alice.token, body: { ...body, push: null } });
    expect(cleared.body.device.push).toBe(false);

    const list = await call<{ devices: Device[] }>(app, "GET", "/api/devices", { token: alice.token });
    expect(list.body.devices.map((d) => d.id)).toEqual([id]);
    expect((await call<{ devices: Device[] }>(app, "GET", "/api/devices", { token: bob.token })).body.devices).toEqual([]);

    expect((await call(app, "DELETE", `/api/devices/${id}`, { token: bob.token })).status).toBe(404);
    expect((await call(app, "DELETE", `/api/devices/${id}`, { token: alice.token })).status).toBe(204);
    // The session that registered the device was its session: it is signed out too.
    expect((await call(app, "GET", "/api/devices", { token: alice.token })).status).toBe(401);
    const again = await call<{ token: string }>(app, "POST", "/api/auth/login", { body: { username: "alice", password: "correct horse" } });
    expect((await call<{ devices: Device[] }>(app, "GET", "/api/devices", { token: again.body.token })).body.devices).toEqual([]);
  });

  it("signing a device out revokes the session it used", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const laptop = await call<{ token: string }>(app, "POST", "/api/auth/login", { body: { username: "alice", password: "correct horse" } });
    const id = randomUUID();
    await call(app, "PUT", `/api/devices/${id}`, { token: laptop.body.token, body: { protocol: 1, capabilities: [] } });
    expect((await call(app, "DELETE", `/api/devices/${id}`, { token: alice.token })).status).toBe(204);
    expect((await call(app, "GET", "/api/me", { token: laptop.body.token })).status).toBe(401);
    expect((await call(app, "GET", "/api/me", { token: alice.token })).status).toBe(200);
  });
});
