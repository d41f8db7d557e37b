import { afterEach, describe, expect, it } from "vitest";
import type { Entry, Message, Summary } from "../../shared/protocol/index.js";
import { call, openDirect, pullAll, register, sendHttp, startServer, type TestServer } from "../testing/harness.js";

let server: TestServer;
afterEach(async () => server?.dispose());

describe("conversations", () => {
  it("opens a direct chat once: 201 the first time, 200 with the same one after, from either side", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const first = await call<{ conversation: { id: string; memberIds: string[] } }>(app, "POST", "/api/conversations", {
      token: alice.token,
      body: { type: "direct", peerId: bob.user.id },
    });
    expect(first.status).toBe(201);
    expect(first.body.conversation.memberIds.sort()).toEqual([alice.user.id, bob.user.id].sort());
    const again = await call<{ conversation: { id: string } }>(app, "POST", "/api/conversations", { token: bob.token, body: { type: "direct", peerId: alice.user.id } });
    expect(again.status).toBe(200);
    expect(again.body.conversation.id).toBe(first.body.conversation.id);

    // The opener got exactly one conv entry; the peer none until the first message (first-message.test.ts).
    const convs = (await pullAll(app, alice, "chat")).entries.filter((e) => e.k === "conv");
    expect(convs).toHaveLength(1);
    expect((convs[0]!.data as { summary: Summary }).summary.conversationId).toBe(first.body.conversation.id);
    expect((await pullAll(app, bob, "chat")).head).toBe(0);
  });

  it("refuses a chat with yourself, an unknown peer, an item chat on your own listing, unknown group members", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const open = (body: unknown) => call(app, "POST", "/api/conversations", { token: alice.token, body });
    expect((await open({ type: "direct", peerId: alice.user.id })).status).toBe(400);
    expect((await open({ type: "direct", peerId: "nobody" })).status).toBe(404);
    const item = await call<{ item: { id: string } }>(app, "POST", "/api/items", { token: alice.token, body: { title: "Bike", priceCents: 5000 } });
    expect((await open({ type: "item", itemId: item.body.item.id })).status).toBe(400);
    expect((await open({ type: "item", itemId: "nope" })).status).toBe(404);
    expect((await open({ type: "group", title: "G", memberIds: ["nobody"] })).status).toBe(404);
    expect((await open({ type: "group", title: "G", memberIds: [alice.user.id] })).status).toBe(400);
    expect((await pullAll(app, alice, "chat")).head).toBe(0);
  });

  it("item chats are unique per buyer and item; groups include the creator", async () => {
    server = await startServer();
    const { app } = server;
    const [seller, buyer, other] = [await register(app, "sam"), await register(app, "bea"), await register(app, "oli")];
    const item = await call<{ item: { id: string } }>(app, "POST", "/api/items", { token: seller.token, body: { title: "Bike", priceCents: 5000 } });
    const open = (s: typeof buyer) => call<{ summary: Summary }>(app, "POST", "/api/conversations", { token: s.token, body: { type: "item", itemId: item.body.item.id } });
    const a = await open(buyer);
    const b = await open(buyer);
    const c = await open(other);
    expect([a.status, b.status, c.status]).toEqual([201, 200, 201]);
    expect(b.body.summary.conversationId).toBe(a.body.summary.conversationId);
    expect(c.body.summary.conversationId).not.toBe(a.body.summary.conversationId);
    expect(a.body.summary.item).toMatchObject({ title: "Bike", sellerId: seller.user.id });
    expect(a.body.summary.conversation.memberIds.sort()).toEqual([buyer.user.id, seller.user.id].sort());

    const group = await call<{ summary: Summary }>(app, "POST", "/api/conversations", {
      token: seller.token,
      body: { type: "group", title: "Riders", memberIds: [buyer.user.id, other.user.id, buyer.user.id] },
    });
    expect(group.status).toBe(201);
    expect(group.body.summary.conversation.memberIds.sort()).toEqual([seller.user.id, buyer.user.id, other.user.id].sort());
    expect(group.body.summary.members?.map((m) => m.username).sort()).toEqual(["bea", "oli", "sam"]);
  });

  it("summaries count unread from others, carry receipts, and read moves forward only", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const conv = await openDirect(app, alice, bob);
    for (let i = 0; i < 3; i++) await sendHttp(app, alice, conv.conversationId, `a${i}`);
    await sendHttp(app, bob, conv.conversationId, "b0");

    const list = await call<{ conversations: Summary[] }>(app, "GET", "/api/conversations", { token: bob.token });
    const mine = list.body.conversations[0]!;
    expect(mine.unread).toBe(0); // bob wrote seq 4, which counts as having read up to it
    expect(mine.readSeq).toBe(4);
    expect(mine.lastMessage).toMatchObject({ seq: 4, body: "b0" });
    const forAlice = await call<{ summary: Summary }>(app, "GET", `/api/conversations/${conv.conversationId}`, { token: alice.token });
    expect(forAlice.body.summary.unread).toBe(1);

    const read = await call<{ summary: Summary }>(app, "POST", `/api/conversations/${conv.conversationId}/read`, { token: alice.token, body: { seq: 99 } });
    expect(read.status).toBe(200);
    expect(read.body.summary.readSeq).toBe(4); // capped at lastSeq
    expect(read.body.summary.unread).toBe(0);
    const back = await call<{ summary: Summary }>(app, "POST", `/api/conversations/${conv.conversationId}/read`, { token: alice.token, body: { seq: 1 } });
    expect(back.body.summary.readSeq).toBe(4);
    expect(back.body.summary.receipts?.find((r) => r.userId === alice.user.id)).toMatchObject({ readSeq: 4 });
  });

  it("settings reach only my own devices as a conv entry", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const conv = await openDirect(app, alice, bob);
    const bobHead = (await pullAll(app, bob, "chat")).head;
    const res = await call<{ summary: Summary }>(app, "PATCH", `/api/conversations/${conv.conversationId}/settings`, {
      token: alice.token,
      body: { muted: true, pinned: true, remark: "Bob from the bike shop", label: "work" },
    });
    expect(res.status).toBe(200);
    expect(res.body.summary).toMatchObject({ muted: true, pinned: true, remark: "Bob from the bike shop", label: "work" });
    const last = (await pullAll(app, alice, "chat")).entries.at(-1) as Entry;
    expect(last.k).toBe("conv");
    expect((last.data as { summary: Summary }).summary.remark).toBe("Bob from the bike shop");
    expect((await pullAll(app, bob, "chat")).head).toBe(bobHead);
  });

  it("history pages below `before`, ascending; members only", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    const bob = await register(app, "bob");
    const eve = await register(app, "eve");
    const conv = await openDirect(app, alice, bob);
    for (let i = 1; i <= 7; i++) await sendHttp(app, alice, conv.conversationId, `m${i}`);
    const page = await call<{ messages: Message[] }>(app, "GET", `/api/conversations/${conv.conversationId}/messages?before=6&limit=3`, { token: bob.token });
    expect(page.body.messages.map((m) => m.seq)).toEqual([3, 4, 5]);
    const newest = await call<{ messages: Message[] }>(app, "GET", `/api/conversations/${conv.conversationId}/messages?limit=2`, { token: bob.token });
    expect(newest.body.messages.map((m) => m.body)).toEqual(["m6", "m7"]);
    expect((await call(app, "GET", `/api/conversations/${conv.conversationId}/messages`, { token: eve.token })).status).toBe(403);
    expect((await call(app, "GET", `/api/conversations/${conv.conversationId}`, { token: eve.token })).status).toBe(403);
    expect((await call(app, "GET", "/api/conversations/nope/messages", { token: eve.token })).status).toBe(404);
  });

  it("finds users by any part of their name, prefix matches first, never yourself", async () => {
    server = await startServer();
    const { app } = server;
    const alice = await register(app, "alice");
    await register(app, "alfred");
    await register(app, "bob");
    await register(app, "carol_al");
    const res = await call<{ users: { username: string }[] }>(app, "GET", "/api/users?q=al", { token: alice.token });
    expect(res.body.users.map((u) => u.username)).toEqual(["alfred", "carol_al"]);
    const pct = await call<{ users: unknown[] }>(app, "GET", "/api/users?q=%25", { token: alice.token });
    expect(pct.body.users).toEqual([]);
  });
});
