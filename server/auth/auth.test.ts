import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { call, captureLogs, connect, listen, refusal, register, startServer, type TestServer } from "../testing/harness.js";
import { createUser } from "./accounts.js";
import { hashPassword } from "./passwords.js";

let server: TestServer;
afterEach(async () => server?.dispose());

const PASSWORD = "correct horse";
const userNamed = (username: string) => server.storage.read(async (r) => r.users.byUsername(username));

function cookieOf(headers: Record<string, unknown>): string {
  const raw = headers["set-cookie"];
  const line = (Array.isArray(raw) ? raw[0] : raw) as string;
  return line.split(";")[0]!;
}

describe("auth", () => {
  it("registers, reads me, logs in and out; the token dies with logout", async () => {
    server = await startServer();
    const { app } = server;
    const reg = await call(app, "POST", "/api/auth/register", { body: { username: "alice", password: PASSWORD, displayName: "Alice" } });
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ user: { username: "alice", displayName: "Alice" }, token: expect.any(String) });
    const setCookie = String(reg.headers["set-cookie"]);
    expect(setCookie).toMatch(/courier_session=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);

    const token = (reg.body as { token: string }).token;
    const me = await call(app, "GET", "/api/me", { token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: { username: "alice" } });

    const login = await call<{ token: string }>(app, "POST", "/api/auth/login", { body: { username: "alice", password: PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.body.token).not.toBe(token);

    expect((await call(app, "POST", "/api/auth/logout", { token })).status).toBe(204);
    expect((await call(app, "GET", "/api/me", { token })).status).toBe(401);
    // The other session is untouched.
    expect((await call(app, "GET", "/api/me", { token: login.body.token })).status).toBe(200);
  });

  it("refuses a taken username with 409 and a wrong password without saying which part was wrong", async () => {
    server = await startServer();
    const { app } = server;
    await register(app, "bob");
    const dup = await call(app, "POST", "/api/auth/register", { body: { username: "bob", password: PASSWORD } });
    expect(dup.status).toBe(409);
    // The reason (docs/protocol.md) lets the app say it in the reader's language.
    expect(dup.body).toEqual({ error: { code: "conflict", message: "That username is taken.", reason: "username_taken" } });

    const wrongPassword = await call<{ error: { message: string } }>(app, "POST", "/api/auth/login", { body: { username: "bob", password: "nope-nope" } });
    const noUser = await call<{ error: { message: string } }>(app, "POST", "/api/auth/login", { body: { username: "nobody", password: "nope-nope" } });
    expect(wrongPassword.status).toBe(401);
    expect(noUser.status).toBe(401);
    expect(wrongPassword.body.error.message).toBe(noUser.body.error.message);
    expect(wrongPassword.body.error).toEqual({ code: "unauthorized", message: "Wrong username or password.", reason: "wrong_password" });
    expect(noUser.body.error).toEqual(wrongPassword.body.error);
  });

  it("validates registration input, and a refused sign-up creates no one", async () => {
    server = await startServer();
    const bad = [
      { username: "Al", password: PASSWORD },
      { username: "has space", password: PASSWORD },
      { username: "carol", password: "short" },
      { username: "carol", password: PASSWORD, admin: true },
      { username: "carol", password: PASSWORD, displayName: "\u200B" },
    ];
    for (const body of bad) {
      const res = await call(server.app, "POST", "/api/auth/register", { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ error: { code: "bad_request" } });
    }
    for (const username of ["al", "has space", "carol"]) expect(await userNamed(username)).toBeNull();
    expect((await call(server.app, "POST", "/api/auth/login", { body: { username: "carol", password: PASSWORD } })).status).toBe(401);
  });

  it("refuses weak passwords on sign-up, saying which rule, and creates no account", async () => {
    server = await startServer();
    const refused: [string, RegExp][] = [
      ["password", /at least 10 characters/],
      ["12345678", /at least 10 characters/],
      ["\u0000".repeat(8), /control characters/],
      ["\u0000".repeat(12), /control characters/],
      ["\u200B".repeat(8), /only spaces or invisible/],
      ["\u200B\u2060\uFEFF".repeat(4), /only spaces or invisible/],
      ["\u2800".repeat(10), /only spaces or invisible/],
      ["\u0301".repeat(10), /only accents or other combining marks/],
      ["  dave_smith  ", /same as the username/],
      ["DAVE_SMITH", /same as the username/],
      ["dave_smith1", /contain the username, forwards or backwards/],
      ["htims_evad", /contain the username, forwards or backwards/],
      ["courier123", /contain the site's name, Courier/],
      ["aaaaaaaaaa", /at least 5 different characters/],
      ["1111111111", /at least 5 different characters/],
      ["0000000000", /at least 5 different characters/],
      ["abc123abc123", /mostly a piece repeated/],
      ["qwertyuiop", /keys in a row/],
      [" 1234567890 ", /keys in a row/],
      ["abcdefghij", /keys in a row/],
      ["Password123", /too commonly used/],
      ["ｐａｓｓｗｏｒｄ１２３", /too commonly used/],
      ["x".repeat(201), /at most 200/],
    ];
    for (const [password, rule] of refused) {
      const res = await call<{ error: { message: string } }>(server.app, "POST", "/api/auth/register", { body: { username: "dave_smith", password } });
      expect(res.status, JSON.stringify(password)).toBe(400);
      expect(res.body.error.message).toMatch(rule);
    }
    expect(await userNamed("dave_smith")).toBeNull();

    // Stored as typed, spaces included: the same text signs in, a trimmed one does not.
    const spaced = "  a long phrase, mine  ";
    const post = (path: string, password: string) => call(server.app, "POST", path, { body: { username: "dave_smith", password } });
    expect((await post("/api/auth/register", spaced)).status).toBe(201);
    expect((await post("/api/auth/login", spaced)).status).toBe(200);
    expect((await post("/api/auth/login", spaced.trim())).status).toBe(401);
  });

  it("still signs in accounts made under the older rule (8 characters, no list)", async () => {
    server = await startServer();
    const passwordHash = await hashPassword("password");
    await server.storage.write((tx) => createUser(tx, { username: "olga", displayName: "Olga", passwordHash, at: 1 }));
    expect((await call(server.app, "POST", "/api/auth/login", { body: { username: "olga", password: "password" } })).status).toBe(200);
  });

  it("keeps a session valid across a rebuild on the same DATA_DIR", async () => {
    server = await startServer();
    const { token } = await register(server.app, "dora");
    const dir = server.dir;
    await server.close();
    server = await startServer({ dataDir: dir });
    const me = await call(server.app, "GET", "/api/me", { token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: { username: "dora" } });
  });

  it("treats a malformed Authorization header as unauthorized", async () => {
    server = await startServer();
    const res = await call(server.app, "GET", "/api/me", { headers: { authorization: "Basic abc" } });
    expect(res.status).toBe(401);
  });
});

describe("origin check", () => {
  it("refuses cookie-authenticated writes from a missing or foreign Origin and accepts its own", async () => {
    // courier.test: a name this server is told it is reached by (server/http/host.test.ts has the foreign ones).
    server = await startServer({ allowedOrigins: ["https://app.example.com"], allowedHosts: ["courier.test"] });
    const { app } = server;
    const reg = await app.inject({ method: "POST", url: "/api/auth/register", payload: { username: "erin", password: PASSWORD } });
    const cookie = cookieOf(reg.headers);
    const item = { title: "Lamp", priceCents: 1200 };
    const post = (headers: Record<string, string>) =>
      app.inject({ method: "POST", url: "/api/items", headers: { cookie, host: "courier.test", ...headers }, payload: item });

    const none = await post({});
    expect(none.statusCode).toBe(403);
    expect(none.json()).toMatchObject({ error: { code: "forbidden" } });
    expect((await post({ origin: "https://evil.example" })).statusCode).toBe(403);
    expect((await post({ origin: "null" })).statusCode).toBe(403);
    expect((await post({ origin: "http://courier.test" })).statusCode).toBe(201);
    expect((await post({ origin: "https://app.example.com" })).statusCode).toBe(201);

    // Reads need no Origin; Bearer needs none either.
    expect((await app.inject({ method: "GET", url: "/api/items", headers: { cookie } })).statusCode).toBe(200);
    const token = (reg.json() as { token: string }).token;
    const bearer = await call(app, "POST", "/api/items", { token, body: item });
    expect(bearer.status).toBe(201);
    const items = await call<{ items: unknown[] }>(app, "GET", "/api/items", { token });
    expect(items.body.items).toHaveLength(3);
  });

  it("refuses a cookie logout from another site, so the session survives", async () => {
    server = await startServer();
    const { app } = server;
    const reg = await app.inject({ method: "POST", url: "/api/auth/register", payload: { username: "fred", password: PASSWORD } });
    const cookie = cookieOf(reg.headers);
    const out = await app.inject({ method: "POST", url: "/api/auth/logout", headers: { cookie, origin: "https://evil.example" } });
    expect(out.statusCode).toBe(403);
    expect((await app.inject({ method: "GET", url: "/api/me", headers: { cookie } })).statusCode).toBe(200);
  });

  it("refuses a login posted from another site", async () => {
    server = await startServer();
    await register(server.app, "gina");
    const res = await call(server.app, "POST", "/api/auth/login", {
      body: { username: "gina", password: "correct horse" },
      headers: { origin: "https://evil.example" },
    });
    expect(res.status).toBe(403);
  });

  it("logs one warning, without secrets, the first time a foreign Origin is refused", async () => {
    const { stream, lines } = captureLogs();
    server = await startServer({ allowedHosts: ["internal"] }, { logger: { stream } });
    const url = await listen(server);
    const reg = await server.app.inject({ method: "POST", url: "/api/auth/register", payload: { username: "hugo", password: PASSWORD } });
    const cookie = cookieOf(reg.headers);
    const token = (reg.json() as { token: string }).token;
    const foreign = { cookie, host: "internal:3000", origin: "https://chat.example.com" };
    for (let i = 0; i < 3; i++) {
      expect((await server.app.inject({ method: "POST", url: "/api/items", headers: foreign, payload: { title: "Lamp", priceCents: 1 } })).statusCode).toBe(403);
    }
    const socket = connect(url, { token, deviceId: randomUUID(), protocol: 1 }, { origin: "https://chat.example.com" });
    await refusal(socket);
    socket.socket.disconnect();

    // Other start-up warnings (e.g. an unset PUSH_SUBJECT) are not this test's business.
    const warnings = lines.filter((l) => l.level === 40 && "origin" in l);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ origin: "https://chat.example.com", ownOrigin: "http://internal:3000" });
    expect(warnings[0]!.msg).toMatch(/TRUST_PROXY/);
    expect(warnings[0]!.msg).toMatch(/ALLOWED_ORIGINS/);
    const text = JSON.stringify(warnings);
    expect(text).not.toContain(token);
    expect(text).not.toContain(cookie.split("=")[1]!);
  });
});
