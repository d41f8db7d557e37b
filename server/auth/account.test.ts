import { afterEach, describe, expect, it } from "vitest";
import type { Entry, Summary, User } from "../../shared/protocol/index.js";
import { limits } from "../http/rate-limit-testing.js";
import { call, connect, listen, openDirect, pullAll, register, sendHttp, startServer, type TestServer } from "../testing/harness.js";

let server: TestServer;
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await server?.dispose();
});

const PASSWORD = "correct horse";
const NEW_PASSWORD = "purple giraffe lamp";
const login = async (username: string, password = PASSWORD) =>
  call<{ token: string }>(server.app, "POST", "/api/auth/login", { body: { username, password } });
const changePassword = (token: string, body: unknown) => call<{ error?: { code: string; message: string } }>(server.app, "POST", "/api/me/password", { token, body });
const rename = (token: string, body: unknown) => call<{ user?: User; error?: { code: string; message: string } }>(server.app, "PATCH", "/api/me", { token, body });
const storedUser = (username: string) => server.storage.read(async (r) => r.users.byUsername(username));

describe("account: display name", () => {
  it("renames under sign-up's rule; bad input is a 400 and changes nothing", async () => {
    server = await startServer();
    const alice = await register(server.app, "alice");
    const done = await rename(alice.token, { displayName: "  Alice Liddell  " });
    expect(done.status).toBe(200);
    expect(done.body.user).toEqual({ id: alice.user.id, username: "alice", displayName: "Alice Liddell" });
    expect((await call<{ user: User }>(server.app, "GET", "/api/me", { token: alice.token })).body.user.displayName).toBe("Alice Liddell");

    for (const body of [{}, { displayName: "" }, { displayName: "   " }, { displayName: "x".repeat(65) }, { displayName: "a\u0000b" }, { displayName: 5 }, { displayName: "Ann", extra: 1 }]) {
      const res = await rename(alice.token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error?.code).toBe("bad_request");
    }
    expect((await storedUser("alice"))?.displayName).toBe("Alice Liddell");
    expect((await rename("", { displayName: "Nobody" })).status).toBe(401);
  });

  it("reaches the people I chat with and my other devices as a conv entry carrying the new name", async () => {
    server = await startServer();
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const chat = await openDirect(server.app, alice, bob);
    await sendHttp(server.app, alice, chat.conversationId);
    const bobBefore = (await pullAll(server.app, bob, "chat")).head;
    const aliceBefore = (await pullAll(server.app, alice, "chat")).head;

    expect((await rename(alice.token, { displayName: "Alice Liddell" })).status).toBe(200);

    const nameOfAliceIn = (entries: Entry[]) =>
      entries
        .filter((e) => e.k === "conv")
        .map((e) => (e.data as { summary: Summary }).summary.members?.find((m) => m.id === alice.user.id)?.displayName);
    expect(nameOfAliceIn((await pullAll(server.app, bob, "chat", bobBefore)).entries)).toEqual(["Alice Liddell"]);
    expect(nameOfAliceIn((await pullAll(server.app, alice, "chat", aliceBefore)).entries)).toEqual(["Alice Liddell"]);
    const listed = await call<{ conversations: Summary[] }>(server.app, "GET", "/api/conversations", { token: bob.token });
    expect(listed.body.conversations[0]?.members?.find((m) => m.id === alice.user.id)?.displayName).toBe("Alice Liddell");

    // The same name again announces nothing.
    const head = (await pullAll(server.app, bob, "chat")).head;
    expect((await rename(alice.token, { displayName: "Alice Liddell" })).status).toBe(200);
    expect((await pullAll(server.app, bob, "chat")).head).toBe(head);
  });
});

describe("account: password", () => {
  it("signs every other session out and closes its socket; this one stays; the new password works and the old one does not", async () => {
    server = await startServer();
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const laptop = await login("alice");
    const live = connect(url, { token: laptop.body.token, deviceId: crypto.randomUUID(), protocol: 1 });
    closers.push(() => live.socket.disconnect());
    await live.hello;
    const closed = new Promise<string>((resolve) => live.socket.once("disconnect", resolve));

    expect((await changePassword(alice.token, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).status).toBe(204);

    expect(await closed).toBe("io server disconnect");
    expect(live.events.find((e) => e.name === "close")?.args[0]).toEqual({ reason: "logout" });
    expect((await call(server.app, "GET", "/api/me", { token: laptop.body.token })).status).toBe(401);
    expect((await call(server.app, "GET", "/api/me", { token: alice.token })).status).toBe(200);
    expect((await login("alice")).status).toBe(401);
    expect((await login("alice", NEW_PASSWORD)).status).toBe(200);
  });

  it("a wrong current password is a 403 that changes nothing and signs nobody out", async () => {
    server = await startServer();
    const alice = await register(server.app, "alice");
    const laptop = await login("alice");
    const hashBefore = (await storedUser("alice"))?.passwordHash;

    const wrong = await changePassword(alice.token, { currentPassword: "not my password", newPassword: NEW_PASSWORD });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toEqual({ code: "forbidden", message: "The current password is wrong.", reason: "wrong_current_password" });

    expect((await storedUser("alice"))?.passwordHash).toBe(hashBefore);
    expect((await call(server.app, "GET", "/api/me", { token: laptop.body.token })).status).toBe(200);
    expect((await call(server.app, "GET", "/api/me", { token: alice.token })).status).toBe(200);
    expect((await login("alice")).status).toBe(200);
  });

  it("holds the new password to sign-up's rules (400, nothing changed)", async () => {
    server = await startServer();
    const alice = await register(server.app, "alice");
    const laptop = await login("alice");
    const hashBefore = (await storedUser("alice"))?.passwordHash;
    const cases: [unknown, RegExp][] = [
      [{ currentPassword: PASSWORD, newPassword: "short" }, /at least 10 characters/],
      [{ currentPassword: PASSWORD, newPassword: "alice-wonderland-9" }, /username/],
      [{ currentPassword: PASSWORD, newPassword: "password123" }, /commonly used/],
      [{ currentPassword: PASSWORD, newPassword: "Courier rocks 2026" }, /site's name/],
      [{ currentPassword: PASSWORD }, /./],
      [{ currentPassword: "", newPassword: NEW_PASSWORD }, /./],
      [{ currentPassword: PASSWORD, newPassword: NEW_PASSWORD, extra: true }, /./],
    ];
    for (const [body, message] of cases) {
      const res = await changePassword(alice.token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error?.code).toBe("bad_request");
      expect(res.body.error?.message).toMatch(message);
    }
    expect((await storedUser("alice"))?.passwordHash).toBe(hashBefore);
    expect((await call(server.app, "GET", "/api/me", { token: laptop.body.token })).status).toBe(200);
  });

  it("is throttled like sign-in: wrong guesses run out, a right one gives its token back", async () => {
    server = await startServer({ rateLimits: limits({ loginPerUsernameIp: { limit: 2, windowMs: 60_000 } }) });
    const alice = await register(server.app, "alice");
    expect((await changePassword(alice.token, { currentPassword: "guess one!", newPassword: NEW_PASSWORD })).status).toBe(403);
    expect((await changePassword(alice.token, { currentPassword: "guess two!", newPassword: NEW_PASSWORD })).status).toBe(403);
    const limited = await changePassword(alice.token, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(limited.status).toBe(429);
    // The same budget as sign-in's, for this account from this address; the password is unchanged.
    expect((await login("alice")).status).toBe(429);
  });

  it("refuses a cookie-authenticated change from another site", async () => {
    server = await startServer();
    const alice = await register(server.app, "alice");
    const res = await call(server.app, "POST", "/api/me/password", {
      headers: { cookie: `courier_session=${alice.token}`, origin: "https://evil.example" },
      body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(res.status).toBe(403);
    expect((await login("alice")).status).toBe(200);
  });
});
