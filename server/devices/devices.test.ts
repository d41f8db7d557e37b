import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { Device } from "../../shared/protocol/index.js";
import { DEFAULT_PUSH_CONFIG } from "../config.js";
import { makeSubscriber } from "../push/testing/web-push-client.js";
import { call, register, startServer, type TestServer } from "../testing/harness.js";

/** push.example.com "resolves" to a public documentation-free address; internal.example.com to a private one. */
const resolve = async (host: string) => (host === "internal.example.com" ? ["10.1.2.3"] : ["93.184.216.34"]);

let server: TestServer;
afterEach(async () => server?.dispose());

describe("devices", () => {
  it("registers, lists and signs out a device; another user's device id is a conflict", async () => {
    server = await startServer({}, { push: { resolve } });
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const id = randomUUID();
    const body = {
      protocol: 1,
      capabilities: ["ack", "ack", "future-thing"],
      userAgent: "Firefox",
      notification: "granted",
      push: makeSubscriber("https://push.example.com/abc").subscription,
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

describe("push subscriptions", () => {
  const put = (token: string, id: string, push: unknown) =>
    call<{ device?: Device; error?: { code: string; message: string } }>(server.app, "PUT", `/api/devices/${id}`, {
      token,
      body: { protocol: 1, capabilities: ["ack"], notification: "granted", push },
    });

  it("accepts only https endpoints on public hosts (or PUSH_ALLOW_HOSTS) with well-formed keys, with a clear 400", async () => {
    server = await startServer({}, { push: { resolve } });
    const alice = await register(server.app, "alice");
    const good = makeSubscriber("https://push.example.com/send/abc").subscription;
    const cases: [unknown, RegExp][] = [
      [{ ...good, endpoint: "http://push.example.com/x" }, /must be an https: URL/],
      [{ ...good, endpoint: "https://user:pw@push.example.com/x" }, /user name or password/],
      [{ ...good, endpoint: "https://localhost/x" }, /localhost/],
      [{ ...good, endpoint: "https://push.localhost:8443/x" }, /localhost/],
      [{ ...good, endpoint: "https://127.0.0.1:8443/x" }, /private, loopback/],
      [{ ...good, endpoint: "https://10.0.0.7/x" }, /private, loopback/],
      [{ ...good, endpoint: "https://169.254.169.254/latest" }, /private, loopback/],
      [{ ...good, endpoint: "https://[::1]/x" }, /private, loopback/],
      [{ ...good, endpoint: "https://[fe80::1]/x" }, /private, loopback/],
      [{ ...good, endpoint: "https://[::ffff:127.0.0.1]/x" }, /private, loopback/],
      [{ ...good, endpoint: "https://internal.example.com/x" }, /resolves to a private/],
      [{ ...good, keys: { ...good.keys, p256dh: Buffer.alloc(64, 4).toString("base64url") } }, /65-byte uncompressed P-256 point \(got 64 bytes\)/],
      [{ ...good, keys: { ...good.keys, p256dh: Buffer.concat([Buffer.from([2]), Buffer.alloc(64, 1)]).toString("base64url") } }, /65-byte uncompressed/],
      [{ ...good, keys: { ...good.keys, p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString("base64url") } }, /not a point on the P-256 curve/],
      [{ ...good, keys: { ...good.keys, p256dh: "not base64!" } }, /p256dh: must be base64url/],
      [{ ...good, keys: { ...good.keys, auth: Buffer.alloc(8).toString("base64url") } }, /auth: must be 16 bytes \(got 8\)/],
      [{ ...good, keys: { ...good.keys, auth: "a+b/c" } }, /auth: must be base64url/],
    ];
    for (const [push, message] of cases) {
      const res = await put(alice.token, randomUUID(), push);
      expect(res.status, JSON.stringify(push)).toBe(400);
      expect(res.body.error?.code).toBe("bad_request");
      expect(res.body.error?.message).toMatch(message);
      // The endpoint's path is a secret capability: errors never echo it.
      expect(res.body.error?.message).not.toMatch(/\/x|latest/);
    }
    const ok = await put(alice.token, randomUUID(), good);
    expect(ok.status).toBe(200);
    expect(ok.body.device?.push).toBe(true);
  });

  it("allows a listed host, and gives an endpoint to the device that registered it last", async () => {
    server = await startServer({ push: { ...DEFAULT_PUSH_CONFIG, allowHosts: ["127.0.0.1"] } }, { push: { resolve } });
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const sub = makeSubscriber("https://127.0.0.1:8443/push/1").subscription;
    const aliceDevice = randomUUID();
    const bobDevice = randomUUID();
    expect((await put(alice.token, aliceDevice, sub)).status).toBe(200);
    // Same browser profile, now signed in as Bob: Alice's notifications must not follow.
    expect((await put(bob.token, bobDevice, sub)).status).toBe(200);
    const aliceDevices = await call<{ devices: Device[] }>(server.app, "GET", "/api/devices", { token: alice.token });
    expect(aliceDevices.body.devices.find((d) => d.id === aliceDevice)?.push).toBe(false);
    const bobDevices = await call<{ devices: Device[] }>(server.app, "GET", "/api/devices", { token: bob.token });
    expect(bobDevices.body.devices.find((d) => d.id === bobDevice)?.push).toBe(true);
  });
});
