import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { Entry, Message, Summary } from "../../shared/protocol/index.js";
import { DEFAULT_PUSH_CONFIG, DEFAULT_RATE_LIMITS, type RateLimits } from "../config.js";
import type { Timers } from "../push/collapse.js";
import { ScriptedPushService } from "../push/testing/scripted-push.js";
import { call, connect, eventually, listen, openDirect, pullAll, register, type Session, startServer, type TestServer } from "../testing/harness.js";

/**
 * Groups people can control (issue 12, docs/groups.md): caps, requests from
 * strangers, leaving, who may manage a group, and the group's end. Every
 * case runs on SQLite (`unit`) and PostgreSQL (`server-on-postgres`).
 */

let server: TestServer;
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await server?.dispose();
});

const HOUR = 3_600_000;

async function start(limits: Partial<RateLimits> = {}) {
  let now = Date.parse("2026-03-10T10:00:00Z");
  const push = new ScriptedPushService();
  const manual: Timers = { setTimeout: () => null, clearTimeout: () => {} };
  server = await startServer(
    { rateLimits: { ...DEFAULT_RATE_LIMITS, ...limits }, push: { ...DEFAULT_PUSH_CONFIG, subject: "mailto:ops@courier.example" } },
    { clock: () => now, push: { timers: manual, resolve: async () => ["93.184.216.34"], transport: push.transport } },
  );
  const settle = async () => {
    await server.push.quiet();
    server.push.flushWindows();
    await server.push.idle();
  };
  return { app: server.app, push, settle, advance: (ms: number) => (now += ms) };
}

type App = TestServer["app"];

async function group(app: App, creator: Session, members: Session[], title = "Trip") {
  const res = await call<{ summary: Summary }>(app, "POST", "/api/conversations", {
    token: creator.token,
    body: { type: "group", title, memberIds: members.map((m) => m.user.id) },
  });
  expect(res.status).toBe(201);
  return res.body.summary.conversationId;
}

const summaryOf = (app: App, s: Session, id: string) => call<{ summary: Summary }>(app, "GET", `/api/conversations/${id}`, { token: s.token });
const listOf = async (app: App, s: Session) => (await call<{ conversations: Summary[] }>(app, "GET", "/api/conversations", { token: s.token })).body.conversations;
const send = (app: App, s: Session, conversationId: string, body = "hi") =>
  call<{ message: Message }>(app, "POST", "/api/messages", { token: s.token, body: { clientMsgId: randomUUID(), conversationId, kind: "text", body } });
const leave = (app: App, s: Session, id: string) => call(app, "POST", `/api/conversations/${id}/leave`, { token: s.token });
const follow = (app: App, follower: Session, followee: Session) => call(app, "POST", `/api/users/${followee.user.id}/follow`, { token: follower.token });
const lastConv = async (app: App, s: Session) =>
  ((await pullAll(app, s, "chat")).entries.filter((e) => e.k === "conv").at(-1)!.data as { summary: Summary }).summary;
const bodies = (entries: Entry[]) => entries.filter((e) => e.k === "msg").map((e) => (e.data as { message: Message }).message.body);

describe("groups", () => {
  it("refuses a flood of groups past the hourly cap (nothing stored), counts members added, and reopening a chat costs nothing", async () => {
    const t = await start();
    const attacker = await register(t.app, "mallory");
    const victim = await register(t.app, "victim");
    const statuses: number[] = [];
    for (let i = 0; i < 150; i++) {
      const res = await call(t.app, "POST", "/api/conversations", { token: attacker.token, body: { type: "group", title: `G${i}`, memberIds: [victim.user.id] } });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    }
    const cap = DEFAULT_RATE_LIMITS.conversationsPerUser.limit;
    expect(statuses.filter((s) => s === 201)).toHaveLength(cap);
    expect(statuses.slice(cap).every((s) => s === 429)).toBe(true);
    expect(await listOf(t.app, victim)).toHaveLength(cap);

    // Opening the same direct chat again and again returns the existing one and takes no token.
    const friend = await register(t.app, "friend");
    t.advance(HOUR);
    for (let i = 0; i < 100; i++) expect((await call(t.app, "POST", "/api/conversations", { token: friend.token, body: { type: "direct", peerId: victim.user.id } })).status).toBe(i === 0 ? 201 : 200);
  });

  it("counts each member added against its own cap: a request that would pass it adds no one", async () => {
    const t = await start({ membersAddedPerUser: { limit: 3, windowMs: HOUR } });
    const [ann, bob, cy, dee, eve] = [await register(t.app, "ann"), await register(t.app, "bob"), await register(t.app, "cyd"), await register(t.app, "dee"), await register(t.app, "eve")];
    const id = await group(t.app, ann, [bob, cy]);
    const refused = await call(t.app, "POST", `/api/conversations/${id}/members`, { token: ann.token, body: { userIds: [dee.user.id, eve.user.id] } });
    expect(refused.status).toBe(429);
    expect((await summaryOf(t.app, ann, id)).body.summary.conversation.memberIds).toHaveLength(3);
    // Someone already in the group is not an addition: it takes no token.
    expect((await call(t.app, "POST", `/api/conversations/${id}/members`, { token: ann.token, body: { userIds: [bob.user.id, dee.user.id] } })).status).toBe(200);
    expect((await summaryOf(t.app, ann, id)).body.summary.conversation.memberIds).toHaveLength(4);
    expect((await call(t.app, "POST", `/api/conversations/${id}/members`, { token: ann.token, body: { userIds: [bob.user.id, cy.user.id] } })).status).toBe(200);
    expect((await call(t.app, "POST", `/api/conversations/${id}/members`, { token: ann.token, body: { userIds: [eve.user.id] } })).status).toBe(429);
  });

  it("puts a stranger's group among the requests: no Web Push, no sending, then Accept makes it a chat like any other", async () => {
    const t = await start();
    const stranger = await register(t.app, "stranger");
    const victim = await register(t.app, "victim");
    const dev = await t.push.subscribe(t.app, victim);
    const id = await group(t.app, stranger, [victim]);
    expect((await summaryOf(t.app, victim, id)).body.summary).toMatchObject({ membership: "request", addedBy: stranger.user.id });
    expect((await summaryOf(t.app, stranger, id)).body.summary.roster).toEqual(
      expect.arrayContaining([
        { userId: stranger.user.id, role: "creator", pending: false },
        { userId: victim.user.id, role: "member", pending: true },
      ]),
    );
    t.advance(10);
    expect((await send(t.app, stranger, id, "buy my course")).status).toBe(201);
    await t.settle();
    expect(t.push.to(dev.endpoint)).toHaveLength(0);
    // Readable to decide, but not writable until accepted.
    expect((await call(t.app, "GET", `/api/conversations/${id}/messages`, { token: victim.token })).status).toBe(200);
    expect((await send(t.app, victim, id)).status).toBe(403);

    const accepted = await call<{ summary: Summary }>(t.app, "POST", `/api/conversations/${id}/accept`, { token: victim.token });
    expect(accepted.body.summary.membership).toBe("member");
    expect((await lastConv(t.app, stranger)).roster?.find((m) => m.userId === victim.user.id)?.pending).toBe(false);
    t.advance(10);
    await send(t.app, stranger, id, "welcome");
    await t.settle();
    expect(t.push.to(dev.endpoint).map((p) => p.body)).toEqual(["Stranger: welcome"]);
    expect((await send(t.app, victim, id)).status).toBe(201);
  });

  it("lets people the adder knows in at once: a follower, or someone who wrote in a chat with them; a chat the adder opened alone is not enough", async () => {
    const t = await start();
    const [ann, fan, pal, victim, stranger] = [
      await register(t.app, "ann"),
      await register(t.app, "fan"),
      await register(t.app, "pal"),
      await register(t.app, "victim"),
      await register(t.app, "stranger"),
    ];
    expect((await follow(t.app, fan, ann)).status).toBeLessThan(300);
    expect((await send(t.app, pal, (await openDirect(t.app, ann, pal)).conversationId, "hi Ann")).status).toBe(201);
    // One request opens a direct chat with anyone: both are its members, without a word from the victim.
    await openDirect(t.app, ann, victim);
    const dev = await t.push.subscribe(t.app, victim);
    const id = await group(t.app, ann, [fan, pal, victim, stranger]);
    const states = Object.fromEntries((await summaryOf(t.app, ann, id)).body.summary.roster!.map((m) => [m.userId, m.pending]));
    expect(states).toEqual({ [ann.user.id]: false, [fan.user.id]: false, [pal.user.id]: false, [victim.user.id]: true, [stranger.user.id]: true });
    t.advance(10);
    expect((await send(t.app, ann, id, "join my channel")).status).toBe(201);
    await t.settle();
    expect(t.push.to(dev.endpoint)).toHaveLength(0);
  });

  it("someone who left is added back as a request, not a member at once, however often the admin tries", async () => {
    const t = await start();
    const [ann, bob] = [await register(t.app, "ann"), await register(t.app, "bob")];
    await follow(t.app, bob, ann);
    const id = await group(t.app, ann, [bob]);
    expect((await send(t.app, bob, id, "hello")).status).toBe(201);
    expect((await leave(t.app, bob, id)).status).toBe(204);
    const readd = () => call(t.app, "POST", `/api/conversations/${id}/members`, { token: ann.token, body: { userIds: [bob.user.id] } });
    expect((await readd()).status).toBe(200);
    expect((await summaryOf(t.app, bob, id)).body.summary.membership).toBe("request");
    // Declining this time is remembered.
    expect((await leave(t.app, bob, id)).status).toBe(204);
    expect((await readd()).status).toBe(409);
    expect((await summaryOf(t.app, bob, id)).status).toBe(403);
  });

  it("answers someone who can't manage the group 403 before counting their adds: the cap tells nothing about who is in", async () => {
    const t = await start({ membersAddedPerUser: { limit: 1, windowMs: HOUR } });
    const [ann, bob, eve, dee] = [await register(t.app, "ann"), await register(t.app, "bob"), await register(t.app, "eve"), await register(t.app, "dee")];
    await follow(t.app, bob, ann);
    const id = await group(t.app, ann, [bob]);
    // Eve has spent her one add for the hour.
    await group(t.app, eve, [dee]);
    for (const s of [eve, bob]) {
      for (const named of [bob, dee]) {
        const res = await call(t.app, "POST", `/api/conversations/${id}/members`, { token: s.token, body: { userIds: [named.user.id] } });
        expect(res.status).toBe(403);
      }
    }
    expect((await summaryOf(t.app, ann, id)).body.summary.conversation.memberIds).toHaveLength(2);
  });

  it("declining is leaving, and remembered: the same group can't add them again, and they get nothing more", async () => {
    const t = await start();
    const stranger = await register(t.app, "stranger");
    const victim = await register(t.app, "victim");
    const id = await group(t.app, stranger, [victim]);
    expect((await leave(t.app, victim, id)).status).toBe(204);
    expect((await lastConv(t.app, victim)).membership).toBe("declined");
    expect(await listOf(t.app, victim)).toEqual([]);
    const head = (await pullAll(t.app, victim, "chat")).head;
    const again = await call(t.app, "POST", `/api/conversations/${id}/members`, { token: stranger.token, body: { userIds: [victim.user.id] } });
    expect(again.status).toBe(409);
    await send(t.app, stranger, id, "hello?");
    expect((await pullAll(t.app, victim, "chat")).head).toBe(head);
  });

  it("after leaving: 403 on history, summary and send, no more messages, and the leaver's live devices get the conv entry", async () => {
    const t = await start();
    const [ann, bob, cy] = [await register(t.app, "ann"), await register(t.app, "bob"), await register(t.app, "cyd")];
    for (const s of [bob, cy]) await follow(t.app, s, ann);
    const id = await group(t.app, ann, [bob, cy]);
    await send(t.app, bob, id, "before");
    const url = await listen(server);
    const live = connect(url, { token: bob.token, deviceId: randomUUID(), protocol: 1 });
    closers.push(() => live.socket.disconnect());
    await live.hello;

    expect((await leave(t.app, bob, id)).status).toBe(204);
    await eventually(() => live.pushed.some((e) => e.k === "conv" && (e.data as { summary: Summary }).summary.membership === "left"));
    expect((await call(t.app, "GET", `/api/conversations/${id}/messages`, { token: bob.token })).status).toBe(403);
    expect((await summaryOf(t.app, bob, id)).status).toBe(403);
    expect((await send(t.app, bob, id, "still here?")).status).toBe(403);
    expect((await listOf(t.app, bob)).map((s) => s.conversationId)).not.toContain(id);

    const head = (await pullAll(t.app, bob, "chat")).head;
    await send(t.app, ann, id, "after");
    expect((await pullAll(t.app, bob, "chat")).head).toBe(head);
    // The others see who left, in the history and the member list.
    expect(bodies((await pullAll(t.app, cy, "chat")).entries)).toEqual(["before", "Bob left", "after"]);
    expect((await summaryOf(t.app, cy, id)).body.summary.conversation.memberIds.sort()).toEqual([ann.user.id, cy.user.id].sort());
    expect((await leave(t.app, bob, id)).status).toBe(403);
  });

  it("keeps the names of people gone who posted (their messages keep a name), and of no one else", async () => {
    const t = await start();
    const [ann, bob, cy, dee, eve] = [await register(t.app, "ann"), await register(t.app, "bob"), await register(t.app, "cyd"), await register(t.app, "dee"), await register(t.app, "eve")];
    for (const s of [bob, cy, dee]) await follow(t.app, s, ann);
    const id = await group(t.app, ann, [bob, cy, dee, eve]);
    await send(t.app, bob, id, "from Bob");
    await send(t.app, cy, id, "from Cyd");
    // Bob posted and left; Cyd posted and was removed; Dee left without a word (but "Dee left" is her line); Eve declined (no line).
    expect((await leave(t.app, bob, id)).status).toBe(204);
    expect((await call(t.app, "DELETE", `/api/conversations/${id}/members/${cy.user.id}`, { token: ann.token })).status).toBe(200);
    expect((await leave(t.app, dee, id)).status).toBe(204);
    expect((await leave(t.app, eve, id)).status).toBe(204);
    const names = (s: Summary) => (s.formerMembers ?? []).map((u) => u.displayName).sort();
    expect(names((await summaryOf(t.app, ann, id)).body.summary)).toEqual(["Bob", "Cyd", "Dee"]);
    expect(names(await lastConv(t.app, ann))).toEqual(["Bob", "Cyd", "Dee"]);
    expect((await summaryOf(t.app, ann, id)).body.summary.members?.map((u) => u.displayName)).toEqual(["Ann"]);
    // Back in the group, a name is a member's again, not a former one's.
    expect((await call(t.app, "POST", `/api/conversations/${id}/members`, { token: ann.token, body: { userIds: [cy.user.id] } })).status).toBe(200);
    expect(names((await summaryOf(t.app, ann, id)).body.summary)).toEqual(["Bob", "Dee"]);
  });

  it("only the creator or an admin adds, removes and renames; when the creator leaves, the earliest member takes over", async () => {
    const t = await start();
    const [ann, bob, cy, dee] = [await register(t.app, "ann"), await register(t.app, "bob"), await register(t.app, "cyd"), await register(t.app, "dee")];
    for (const s of [bob, cy, dee]) await follow(t.app, s, ann);
    const id = await group(t.app, ann, [bob, cy]);
    const base = `/api/conversations/${id}`;
    expect((await call(t.app, "POST", `${base}/members`, { token: bob.token, body: { userIds: [dee.user.id] } })).status).toBe(403);
    expect((await call(t.app, "DELETE", `${base}/members/${cy.user.id}`, { token: bob.token })).status).toBe(403);
    expect((await call(t.app, "PATCH", base, { token: bob.token, body: { title: "Mine now" } })).status).toBe(403);
    expect((await summaryOf(t.app, ann, id)).body.summary.conversation).toMatchObject({ title: "Trip" });
    expect((await call(t.app, "PATCH", base, { token: ann.token, body: { title: "  " } })).status).toBe(400);

    expect((await call(t.app, "PATCH", base, { token: ann.token, body: { title: "Trip 2026" } })).status).toBe(200);
    t.advance(10);
    expect((await call(t.app, "POST", `${base}/members`, { token: ann.token, body: { userIds: [dee.user.id] } })).status).toBe(200);
    expect((await call(t.app, "DELETE", `${base}/members/${cy.user.id}`, { token: ann.token })).status).toBe(200);
    expect((await lastConv(t.app, cy)).membership).toBe("removed");
    expect((await summaryOf(t.app, cy, id)).status).toBe(403);
    expect(bodies((await pullAll(t.app, bob, "chat")).entries)).toEqual(["Ann renamed the group to “Trip 2026”", "Ann added Dee", "Ann removed Cyd"]);
    expect((await lastConv(t.app, dee)).conversation.title).toBe("Trip 2026");

    // The creator leaves: the earliest remaining member becomes admin, and manages the group.
    expect((await leave(t.app, ann, id)).status).toBe(204);
    expect((await summaryOf(t.app, bob, id)).body.summary.role).toBe("admin");
    expect((await call(t.app, "DELETE", `${base}/members/${dee.user.id}`, { token: bob.token })).status).toBe(200);
  });

  it("the last member leaving ends the group: open requests are dropped and no one can read, write or add", async () => {
    const t = await start();
    const [ann, bob, stranger] = [await register(t.app, "ann"), await register(t.app, "bob"), await register(t.app, "stranger")];
    await follow(t.app, bob, ann);
    const id = await group(t.app, ann, [bob, stranger]);
    expect((await summaryOf(t.app, stranger, id)).body.summary.membership).toBe("request");
    expect((await leave(t.app, bob, id)).status).toBe(204);
    expect((await leave(t.app, ann, id)).status).toBe(204);
    expect((await lastConv(t.app, stranger)).membership).toBe("removed");
    for (const s of [ann, bob, stranger]) {
      expect((await summaryOf(t.app, s, id)).status).toBe(403);
      expect((await send(t.app, s, id)).status).toBe(403);
      expect(await listOf(t.app, s)).toEqual([]);
    }
    expect((await call(t.app, "POST", `/api/conversations/${id}/members`, { token: ann.token, body: { userIds: [bob.user.id] } })).status).toBe(403);
  });

  it("refuses a non-member's read position and settings, and someone who left, changing nothing", async () => {
    const t = await start();
    const [ann, bob, eve] = [await register(t.app, "ann"), await register(t.app, "bob"), await register(t.app, "eve")];
    await follow(t.app, bob, ann);
    const id = await group(t.app, ann, [bob]);
    await send(t.app, ann, id, "one");
    await leave(t.app, bob, id);
    await send(t.app, ann, id, "two");
    const before = await Promise.all([ann, bob, eve].map(async (s) => (await pullAll(t.app, s, "chat")).head));
    for (const s of [eve, bob]) {
      expect((await call(t.app, "POST", `/api/conversations/${id}/read`, { token: s.token, body: { seq: 3 } })).status).toBe(403);
      expect((await call(t.app, "PATCH", `/api/conversations/${id}/settings`, { token: s.token, body: { muted: true } })).status).toBe(403);
    }
    expect(await Promise.all([ann, bob, eve].map(async (s) => (await pullAll(t.app, s, "chat")).head))).toEqual(before);
    expect((await summaryOf(t.app, ann, id)).body.summary.receipts?.find((r) => r.userId === bob.user.id)).toBeUndefined();
  });
});
