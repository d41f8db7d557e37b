import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../../shared/protocol/index.js";
import { call, captureLogs, connect, listen, refusal, startServer, type TestServer } from "../testing/harness.js";
import { type HostPolicy, ownOriginOf } from "./origin.js";

/**
 * Issue 12, finding 8 (DNS rebinding): `Host: evil.example:3412` with a
 * matching Origin and the victim's cookie was accepted (201), because the
 * server took its own origin from the Host the request named. Every state
 * change and every streaming request must now name one of the server's hosts.
 */

let server: TestServer | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

const ITEM = { title: "Lamp", priceCents: 1200 };

function cookieOf(headers: Record<string, unknown>): string {
  const set = headers["set-cookie"];
  const first = (Array.isArray(set) ? set[0] : set) as string;
  return first.split(";")[0]!;
}

async function signedIn(s: TestServer, username: string) {
  const reg = await s.app.inject({ method: "POST", url: "/api/auth/register", payload: { username, password: "correct horse" } });
  expect(reg.statusCode).toBe(201);
  return { cookie: cookieOf(reg.headers), token: (reg.json() as { token: string }).token };
}

const postItem = (s: TestServer, headers: Record<string, string>) => s.app.inject({ method: "POST", url: "/api/items", headers, payload: ITEM });
const itemCount = async (s: TestServer, token: string) => (await call<{ items: unknown[] }>(s.app, "GET", "/api/items", { token })).body.items.length;

describe("Host allowlist (DNS rebinding)", () => {
  it("refuses the finding's request (foreign Host, matching Origin, the user's cookie) with 403 naming the fix, and changes nothing", async () => {
    server = await startServer();
    const { cookie, token } = await signedIn(server, "rita");
    const res = await postItem(server, { cookie, host: "evil.example:3412", origin: "http://evil.example:3412" });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: { code: "forbidden", message: expect.stringMatching(/ALLOWED_HOSTS/) } });
    expect(await itemCount(server, token)).toBe(0);
    // The same request through a name of ours is accepted.
    expect((await postItem(server, { cookie, host: "localhost:3412", origin: "http://localhost:3412" })).statusCode).toBe(201);
  });

  it("refuses every state change on a foreign Host, Bearer and signed-out ones too (a rebound page comes from the user's own machine)", async () => {
    server = await startServer();
    const { token } = await signedIn(server, "sam");
    const foreign = { host: "rebound.example" };
    const bearer = await call(server.app, "POST", "/api/items", { token, body: ITEM, headers: foreign });
    expect(bearer.status).toBe(403);
    const signUp = await call(server.app, "POST", "/api/auth/register", { body: { username: "mallory", password: "correct horse" }, headers: foreign });
    expect(signUp.status).toBe(403);
    const login = await call(server.app, "POST", "/api/auth/login", { body: { username: "sam", password: "correct horse" }, headers: foreign });
    expect(login.status).toBe(403);
    expect(await itemCount(server, token)).toBe(0);
    // No account was created: the name is still free.
    expect((await call(server.app, "POST", "/api/auth/register", { body: { username: "mallory", password: "correct horse" } })).status).toBe(201);
    // Reads are not state changes: the public app and the API's reads still answer under any name.
    expect((await call(server.app, "GET", "/api/items", { token, headers: foreign })).status).toBe(200);
  });

  it("refuses the streaming requests on a foreign Host: SSE and long-poll", async () => {
    server = await startServer();
    const { token } = await signedIn(server, "tess");
    const device = randomUUID();
    for (const url of [`/api/stream?device=${device}`, `/api/poll?device=${device}&wait=0`]) {
      const refused = await call(server.app, "GET", url, { token, headers: { host: "evil.example" } });
      expect(refused.status, url).toBe(403);
    }
    expect((await call(server.app, "GET", `/api/poll?device=${device}&wait=0`, { token, headers: { host: "127.0.0.1:3000" } })).status).toBe(200);
  });

  it("refuses a socket.io handshake naming a foreign Host, and accepts one naming an allowed name", async () => {
    server = await startServer();
    const url = await listen(server);
    const { token } = await signedIn(server, "uma");
    const refused = connect(url, { token, deviceId: randomUUID(), protocol: 1 }, { host: "evil.example", origin: "http://evil.example" });
    await refusal(refused);
    refused.socket.disconnect();
    const accepted = connect(url, { token, deviceId: randomUUID(), protocol: 1 }, { host: "localhost", origin: "http://localhost" });
    await accepted.hello;
    accepted.socket.disconnect();
  });

  it("allows loopback names, IP literals, the hosts of ALLOWED_ORIGINS and ALLOWED_HOSTS, on any port", async () => {
    server = await startServer({ allowedOrigins: ["https://chat.example.com"], allowedHosts: ["courier.lan"] });
    const { cookie, token } = await signedIn(server, "vera");
    const allowed = ["localhost", "LOCALHOST.:8080", "127.0.0.1:3000", "[::1]:3000", "192.168.1.5:3000", "[fe80::1]", "chat.example.com", "courier.lan:3000"];
    for (const host of allowed) {
      expect((await call(server.app, "POST", "/api/items", { token, body: ITEM, headers: { host } })).status, host).toBe(201);
    }
    expect((await postItem(server, { cookie, host: "chat.example.com", origin: "https://chat.example.com" })).statusCode).toBe(201);
    for (const host of ["sub.courier.lan", "courier.lan.evil.example", "localhost.evil.example", "example.com", "a b"]) {
      expect((await call(server.app, "POST", "/api/items", { token, body: ITEM, headers: { host } })).status, host).toBe(403);
    }
  });

  it("behind a trusted proxy checks X-Forwarded-Host (its last entry, the one the proxy wrote); without TRUST_PROXY ignores it", async () => {
    server = await startServer({ trustProxy: 1, allowedHosts: ["chat.example.com"] });
    const { token } = await signedIn(server, "wade");
    const post = (headers: Record<string, string>) => call(server!.app, "POST", "/api/items", { token, body: ITEM, headers });
    expect((await post({ host: "127.0.0.1:3001", "x-forwarded-host": "chat.example.com" })).status).toBe(201);
    expect((await post({ host: "127.0.0.1:3001", "x-forwarded-host": "evil.example" })).status).toBe(403);
    // A client's own X-Forwarded-Host comes first when a proxy appends; the proxy's entry decides.
    expect((await post({ host: "127.0.0.1:3001", "x-forwarded-host": "localhost, evil.example" })).status).toBe(403);
    await server.dispose();

    server = await startServer({ trustProxy: false });
    const again = await signedIn(server, "xena");
    const direct = (headers: Record<string, string>) => call(server!.app, "POST", "/api/items", { token: again.token, body: ITEM, headers });
    expect((await direct({ host: "evil.example", "x-forwarded-host": "localhost" })).status).toBe(403);
    expect((await direct({ host: "localhost", "x-forwarded-host": "evil.example" })).status).toBe(201);
  });

  it("logs the first refusal once, naming the host and the fix, without secrets", async () => {
    const { stream, lines } = captureLogs();
    server = await startServer({}, { logger: { stream } });
    const url = await listen(server);
    const { cookie, token } = await signedIn(server, "yuri");
    for (let i = 0; i < 3; i++) expect((await postItem(server, { cookie, host: "evil.example:3412", origin: "http://evil.example:3412" })).statusCode).toBe(403);
    const socket = connect(url, { token, deviceId: randomUUID(), protocol: 1 }, { host: "evil.example:3412" });
    await refusal(socket);
    socket.socket.disconnect();
    const warnings = lines.filter((l) => l.level === 40 && "host" in l);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ host: "evil.example:3412" });
    expect(warnings[0]!.msg).toMatch(/ALLOWED_HOSTS/);
    const text = JSON.stringify(warnings);
    expect(text).not.toContain(token);
    expect(text).not.toContain(cookie.slice(SESSION_COOKIE.length + 1));
  });
});

describe("ownOriginOf", () => {
  const policy: HostPolicy = { trustProxy: false, allowedOrigins: ["https://chat.example.com"], allowedHosts: [] };
  const req = (headers: Record<string, string>) => ({ headers, socket: {} }) as unknown as IncomingMessage;

  it("is the request's own origin only when its Host is allowed: a request cannot pick its own", () => {
    expect(ownOriginOf(req({ host: "localhost:3000" }), policy)).toBe("http://localhost:3000");
    expect(ownOriginOf(req({ host: "chat.example.com" }), policy)).toBe("http://chat.example.com");
    expect(ownOriginOf(req({ host: "evil.example:3412" }), policy)).toBeNull();
    expect(ownOriginOf(req({}), policy)).toBeNull();
  });
});
