import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { Entry, Message } from "../../shared/protocol/index.js";
import { call, openDirect, pullAll, register, startServer, type TestServer } from "../testing/harness.js";

let server: TestServer;
afterEach(async () => server?.dispose());

describe("send over HTTP", () => {
  it("diffuses a message to every member's chat domain, sender included", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const conv = await openDirect(app, alice, bob);
    const res = await call<{ message: Message }>(app, "POST", "/api/messages", {
      token: alice.token,
      body: { clientMsgId: randomUUID(), conversationId: conv.conversationId, kind: "text", body: "Is the bike still for sale?" },
    });
    expect(res.status).toBe(201);
    expect(res.body.message).toMatchObject({ seq: 1, senderId: alice.user.id, kind: "text", body: "Is the bike still for sale?" });
    for (const s of [alice, bob]) {
      const msgs = (await pullAll(app, s, "chat")).entries.filter((e) => e.k === "msg");
      expect(msgs.map((e: Entry) => (e.data as { message: Message }).message.id)).toEqual([res.body.message.id]);
    }
  });

  it("gives each message a time-ordered id (UUID version 7 of its time): later messages' ids sort after, as the id index needs", async () => {
    let now = Date.UTC(2026, 11, 7, 18, 0, 0);
    server = await startServer({}, { clock: () => now });
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const conv = await openDirect(app, alice, bob);
    const sent: Message[] = [];
    for (const body of ["first", "second", "third", "fourth"]) {
      now += 7;
      const res = await call<{ message: Message }>(app, "POST", "/api/messages", {
        token: alice.token,
        body: { clientMsgId: randomUUID(), conversationId: conv.conversationId, kind: "text", body },
      });
      expect(res.status).toBe(201);
      sent.push(res.body.message);
    }
    for (const m of sent) {
      expect(m.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(Number.parseInt(m.id.slice(0, 8) + m.id.slice(9, 13), 16)).toBe(m.at);
    }
    expect(sent.map((m) => m.id).sort()).toEqual(sent.map((m) => m.id));
  });

  it("is idempotent on clientMsgId: a repeat returns the first message and appends nothing", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const conv = await openDirect(app, alice, bob);
    const body = { clientMsgId: randomUUID(), conversationId: conv.conversationId, kind: "text", body: "once" };
    const first = await call<{ message: Message }>(app, "POST", "/api/messages", { token: alice.token, body });
    const heads = [(await pullAll(app, alice, "chat")).head, (await pullAll(app, bob, "chat")).head];
    const again = await call<{ message: Message }>(app, "POST", "/api/messages", { token: alice.token, body: { ...body, body: "changed" } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.message).toEqual(first.body.message);
    expect([(await pullAll(app, alice, "chat")).head, (await pullAll(app, bob, "chat")).head]).toEqual(heads);
    const history = await call<{ messages: Message[] }>(app, "GET", `/api/conversations/${conv.conversationId}/messages`, { token: bob.token });
    expect(history.body.messages).toHaveLength(1);
  });

  it("only members may send (403); an unknown conversation is 404; nothing is appended", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const eve = await register(app, "eve");
    const conv = await openDirect(app, alice, bob);
    const send = (conversationId: string) =>
      call(app, "POST", "/api/messages", { token: eve.token, body: { clientMsgId: randomUUID(), conversationId, kind: "text", body: "hi" } });
    const forbidden = await send(conv.conversationId);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ error: { code: "forbidden" } });
    expect((await send("no-such-conversation")).status).toBe(404);
    expect((await pullAll(app, alice, "chat")).entries.some((e) => e.k === "msg")).toBe(false);
    expect((await pullAll(app, eve, "chat")).head).toBe(0);
  });

  it("requires sign-in", async () => {
    server = await startServer();
    const res = await call(server.app, "POST", "/api/messages", { body: {} });
    expect(res.status).toBe(401);
  });
});
