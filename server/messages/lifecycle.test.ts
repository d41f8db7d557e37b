import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { type Entry, type Message, RECALL_WINDOW_MS_DEFAULT, searchNormalize, type Snapshot, type Summary } from "../../shared/protocol/index.js";
import { openDump } from "../fuzz/storage-dump.js";
import {
  call,
  type Client,
  connect,
  emitAck,
  listen,
  openDirect,
  pullAll,
  register,
  sendHttp,
  type Session,
  startServer,
  type TestServer,
} from "../testing/harness.js";
import { postMessage } from "./messages.js";

/**
 * Recall, delete for me and reply (docs/messages.md, docs/protocol.md
 * "Message lifecycle"), over HTTP and the socket, on the engine the tests run
 * on (both: `--project server-on-postgres`). Time is the server's injected
 * clock.
 */

let server: TestServer;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.disconnect();
  await server?.dispose();
});

const T0 = 1_800_000_000_000;
let now = T0;

async function setUp() {
  now = T0;
  server = await startServer({}, { clock: () => now });
  const { app } = server;
  const [alice, bob, eve] = [await register(app), await register(app), await register(app)];
  const conversationId = (await openDirect(app, alice, bob)).conversationId;
  const recall = (s: Session | null, id: string) => call<{ message: Message; error?: { code: string } }>(app, "POST", `/api/messages/${id}/recall`, s ? { token: s.token } : {});
  const hide = (s: Session, id: string) => call<{ error?: { code: string } }>(app, "POST", `/api/messages/${id}/hide`, { token: s.token });
  const history = async (s: Session) =>
    (await call<{ messages: Message[] }>(app, "GET", `/api/conversations/${conversationId}/messages`, { token: s.token })).body.messages;
  const summary = async (s: Session) =>
    (await call<{ conversations: Summary[] }>(app, "GET", "/api/conversations", { token: s.token })).body.conversations.find(
      (c) => c.conversationId === conversationId,
    )!;
  const snapshot = async (s: Session) => (await call<Snapshot>(app, "GET", "/api/sync/snapshot", { token: s.token })).body;
  const chat = async (s: Session) => (await pullAll(app, s, "chat")).entries;
  const heads = async () => Promise.all([alice, bob, eve].map(async (s) => (await pullAll(app, s, "chat")).head));
  return { app, alice, bob, eve, conversationId, recall, hide, history, summary, snapshot, chat, heads };
}

/** The message a msg entry carries, by message id. */
const carried = (entries: Entry[], id: string) =>
  entries.filter((e) => e.k === "msg").map((e) => (e.data as { message: Message }).message).filter((m) => m.id === id);

describe("recall", () => {
  it("checks in the contract's order: not a member or no such message 404, not the sender 403, past the window 409; nothing changes", async () => {
    const { app, alice, bob, eve, conversationId, recall, history, heads } = await setUp();
    const m = await sendHttp(app, alice, conversationId, "the bike is sold");
    const before = await heads();
    // Past the window, so each answer shows its check comes before the window's.
    now = T0 + RECALL_WINDOW_MS_DEFAULT + 1;
    expect((await recall(eve, m.id)).status).toBe(404);
    expect((await recall(alice, randomUUID())).status).toBe(404);
    expect((await recall(bob, m.id)).body.error?.code).toBe("forbidden");
    const late = await recall(alice, m.id);
    expect(late.status).toBe(409);
    expect(late.body.error?.code).toBe("conflict");
    expect((await recall(null, m.id)).status).toBe(401);
    expect(await heads()).toEqual(before);
    expect(await history(bob)).toEqual([m]);
  });

  it("is allowed until the window's last millisecond; a repeat (even later) answers the same tombstone and appends nothing", async () => {
    const { app, alice, conversationId, recall, heads } = await setUp();
    const m = await sendHttp(app, alice, conversationId, "oops, wrong chat");
    now = T0 + RECALL_WINDOW_MS_DEFAULT;
    const first = await recall(alice, m.id);
    expect(first.status).toBe(200);
    expect(first.body.message).toEqual({ ...m, body: "", recalled: true });
    const after = await heads();
    now += 3_600_000;
    const again = await recall(alice, m.id);
    expect(again.status).toBe(200);
    expect(again.body.message).toEqual(first.body.message);
    expect(await heads()).toEqual(after);
  });

  it("refuses system lines (403)", async () => {
    const { alice, conversationId, recall } = await setUp();
    const line = await server.storage.write(async (tx) => {
      const conv = (await tx.conversations.get(conversationId))!;
      return postMessage(tx, conv, { senderId: alice.user.id, clientMsgId: randomUUID(), kind: "system", body: "Alice renamed the group" }, now);
    });
    expect((await recall(alice, line.id)).status).toBe(403);
  });

  it("leaves the text nowhere: history, pulls of the original entry, snapshots, summaries, every stored row; every member gets a recall entry", async () => {
    const { app, alice, bob, conversationId, recall, history, summary, snapshot, chat } = await setUp();
    // Lower case, so the stored search text (searchNormalize: NFKC, lower case) holds it as written too.
    const secret = "my pin is 4711-secret";
    expect(searchNormalize(secret)).toBe(secret);
    const m = await sendHttp(app, alice, conversationId, secret);
    // A conv entry carrying it as lastMessage (a setting changed after it arrived).
    expect((await call(app, "PATCH", `/api/conversations/${conversationId}/settings`, { token: bob.token, body: { pinned: true } })).status).toBe(200);
    const dump = await openDump(server);
    try {
      const holding = async () => Object.entries(await dump.read()).flatMap(([table, rows]) => (rows.some((r) => r.includes(secret)) ? [table] : []));
      expect(await holding()).toEqual(expect.arrayContaining(["messages", "entries"]));
      // The message row holds it twice: its body and its search text (emptied by the recall as well).
      expect((await dump.read()).messages!.find((r) => r.includes(secret))!.split(secret).length - 1).toBe(2);
      now += 1000;
      const res = await recall(alice, m.id);
      expect(res.status).toBe(200);
      const tombstone = { ...m, body: "", recalled: true };
      expect(await holding()).toEqual([]);

      for (const s of [alice, bob]) {
        expect(await history(s)).toEqual([tombstone]);
        expect((await summary(s)).lastMessage).toEqual(tombstone);
        expect((await snapshot(s)).messages[conversationId]).toEqual([tombstone]);
        const entries = await chat(s);
        expect(carried(entries, m.id)).toEqual([tombstone]);
        const conv = entries.filter((e) => e.k === "conv").map((e) => (e.data as { summary: Summary }).summary.lastMessage);
        expect(conv.every((last) => last === null || last.body === "")).toBe(true);
        const recalls = entries.filter((e) => e.k === "recall").map((e) => e.data);
        expect(recalls).toEqual([{ conversationId, messageId: m.id, seq: m.seq, by: alice.user.id, at: now }]);
      }
      expect(JSON.stringify(await chat(bob))).not.toContain(secret);
    } finally {
      await dump.close();
    }
  });

  it("over the socket: the tombstone as the ack; bad payloads are bad_request", async () => {
    const { app, alice, conversationId } = await setUp();
    const url = await listen(server);
    const m = await sendHttp(app, alice, conversationId, "socket recall");
    const c = connect(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 });
    clients.push(c);
    await c.hello;
    for (const bad of [null, 42, {}, { messageId: 7 }, { messageId: "x".repeat(65) }, { messageId: m.id, extra: 1 }]) {
      expect(await emitAck(c.socket, "recall", bad)).toMatchObject({ ok: false, error: { code: "bad_request" } });
    }
    expect(await emitAck(c.socket, "recall", { messageId: randomUUID() })).toEqual({ ok: false, error: { code: "not_found", message: "No such message.", reason: "message_not_found" } });
    const ack = await emitAck<{ ok: true; message: Message }>(c.socket, "recall", { messageId: m.id });
    expect(ack).toEqual({ ok: true, message: { ...m, body: "", recalled: true } });
  });
});

describe("delete for me", () => {
  it("is gone from the hider's history, snapshot, summary, unread count and entries; the other member keeps it", async () => {
    const { app, alice, bob, eve, conversationId, hide, history, summary, snapshot, chat, heads } = await setUp();
    const older = await sendHttp(app, alice, conversationId, "older");
    const m = await sendHttp(app, alice, conversationId, "only alice keeps this");
    expect((await summary(bob)).unread).toBe(2);
    // conv entries carrying it as lastMessage, for both (a setting each changed after it arrived).
    for (const s of [alice, bob]) {
      expect((await call(app, "PATCH", `/api/conversations/${conversationId}/settings`, { token: s.token, body: { muted: true } })).status).toBe(200);
    }
    expect((await hide(eve, m.id)).status).toBe(404);
    expect((await hide(bob, randomUUID())).status).toBe(404);

    const before = await heads();
    const res = await hide(bob, m.id);
    expect(res.status).toBe(204);
    expect(await history(bob)).toEqual([older]);
    expect((await snapshot(bob)).messages[conversationId]).toEqual([older]);
    const mine = await summary(bob);
    expect(mine.lastMessage).toEqual(older);
    expect(mine.unread).toBe(1);
    const bobs = await chat(bob);
    expect(carried(bobs, m.id)).toEqual([{ ...m, body: "", hidden: true }]);
    expect(bobs.at(-1)).toMatchObject({ k: "hide", data: { conversationId, messageId: m.id } });
    const lastMessages = (entries: Entry[]) => entries.filter((e) => e.k === "conv").map((e) => (e.data as { summary: Summary }).summary.lastMessage);
    expect(lastMessages(bobs).at(-1)).toEqual({ ...m, body: "", hidden: true });
    expect(lastMessages(await chat(alice)).at(-1)).toEqual(m);

    expect(await history(alice)).toEqual([older, m]);
    expect((await summary(alice)).lastMessage).toEqual(m);
    expect(carried(await chat(alice), m.id)).toEqual([m]);
    const [a, b, e] = await heads();
    expect([a, b, e]).toEqual([before[0], before[1]! + 1, before[2]]);

    // A repeat: 204, nothing appended.
    expect((await hide(bob, m.id)).status).toBe(204);
    expect(await heads()).toEqual([a, b, e]);
  });

  it("stays deleted for the hider when the sender then recalls it: their copies stay hidden, and they get no recall entry", async () => {
    const { app, alice, bob, conversationId, hide, recall, history, chat } = await setUp();
    const m = await sendHttp(app, alice, conversationId, "hidden, then recalled");
    // A conv entry of bob's carrying it as lastMessage.
    expect((await call(app, "PATCH", `/api/conversations/${conversationId}/settings`, { token: bob.token, body: { pinned: true } })).status).toBe(200);
    expect((await hide(bob, m.id)).status).toBe(204);
    const hiddenCopy = { ...m, body: "", hidden: true };
    const bobsHead = (await pullAll(app, bob, "chat")).head;
    expect((await recall(alice, m.id)).status).toBe(200);

    const bobs = await chat(bob);
    expect(carried(bobs, m.id)).toEqual([hiddenCopy]);
    const lastMessages = bobs.filter((e) => e.k === "conv").map((e) => (e.data as { summary: Summary }).summary.lastMessage);
    // Both conv entries carrying it (the one the first message brought, the setting's) say hidden.
    expect(lastMessages.filter((last) => last?.id === m.id)).toEqual([hiddenCopy, hiddenCopy]);
    expect(bobs.filter((e) => e.k === "recall")).toEqual([]);
    expect((await pullAll(app, bob, "chat")).head).toBe(bobsHead);
    expect(await history(bob)).toEqual([]);
    // The sender's side is recalled as ever.
    expect(carried(await chat(alice), m.id)).toEqual([{ ...m, body: "", recalled: true }]);
    expect((await chat(alice)).filter((e) => e.k === "recall")).toHaveLength(1);
  });

  it("unread counts only what the reader has not read and not hidden: hiding a read message changes nothing", async () => {
    const { app, alice, bob, conversationId, hide, summary } = await setUp();
    const read = await sendHttp(app, alice, conversationId, "read already");
    expect((await call(app, "POST", `/api/conversations/${conversationId}/read`, { token: bob.token, body: { seq: read.seq } })).status).toBe(200);
    expect((await hide(bob, read.id)).status).toBe(204);
    const [first] = [await sendHttp(app, alice, conversationId, "new one"), await sendHttp(app, alice, conversationId, "new two")];
    expect((await summary(bob)).unread).toBe(2);
    expect((await hide(bob, first.id)).status).toBe(204);
    expect((await summary(bob)).unread).toBe(1);
    expect((await summary(alice)).unread).toBe(0);
  });

  it("may hide one's own message and a recalled one", async () => {
    const { app, alice, conversationId, hide, recall, history } = await setUp();
    const m = await sendHttp(app, alice, conversationId, "mine");
    expect((await recall(alice, m.id)).status).toBe(200);
    expect((await hide(alice, m.id)).status).toBe(204);
    expect(await history(alice)).toEqual([]);
  });
});

describe("reply", () => {
  const send = (app: TestServer["app"], s: Session, conversationId: string, replyTo: string, clientMsgId = randomUUID()) =>
    call<{ message: Message; error?: { code: string; message: string } }>(app, "POST", "/api/messages", {
      token: s.token,
      body: { clientMsgId, conversationId, kind: "text", body: "agreed", replyTo },
    });

  it("carries replyTo {id, seq} in the answer, the entries, history and the snapshot; a repeat answers the first", async () => {
    const { app, alice, bob, conversationId, history, snapshot, chat } = await setUp();
    const quoted = await sendHttp(app, alice, conversationId, "50 euros?");
    const clientMsgId = randomUUID();
    const res = await send(app, bob, conversationId, quoted.id, clientMsgId);
    expect(res.status).toBe(201);
    const reply = res.body.message;
    expect(reply.replyTo).toEqual({ id: quoted.id, seq: quoted.seq });
    expect(await history(alice)).toEqual([quoted, reply]);
    expect((await snapshot(alice)).messages[conversationId]).toEqual([quoted, reply]);
    expect(carried(await chat(alice), reply.id)).toEqual([reply]);
    const again = await send(app, bob, conversationId, quoted.id, clientMsgId);
    expect(again.status).toBe(200);
    expect(again.body.message).toEqual(reply);
  });

  it("quotes only a message of the same conversation (400) that is not recalled (409); nothing is sent", async () => {
    const { app, alice, bob, eve, conversationId, recall, heads } = await setUp();
    const elsewhere = await sendHttp(app, alice, (await openDirect(app, alice, eve)).conversationId, "other chat");
    const recalled = await sendHttp(app, alice, conversationId, "gone soon");
    expect((await recall(alice, recalled.id)).status).toBe(200);
    const before = await heads();
    for (const id of [elsewhere.id, randomUUID()]) {
      const res = await send(app, bob, conversationId, id);
      expect(res.status).toBe(400);
      expect(res.body.error?.message).toMatch(/quote a message of this conversation/);
    }
    expect((await send(app, bob, conversationId, recalled.id)).status).toBe(409);
    expect((await send(app, bob, conversationId, "")).status).toBe(400);
    expect(await heads()).toEqual(before);
  });
});

describe("bad input", () => {
  it("answers 4xx for bad ids over HTTP and the socket, and nothing changes", async () => {
    const { app, alice, bob, conversationId, history, heads } = await setUp();
    const m = await sendHttp(app, alice, conversationId, "target");
    const before = await heads();
    // Too long, NUL (alone and after a real id), path tricks, broken UTF-8, SQL.
    const ids = ["x".repeat(65), "%00", `${m.id}%00`, "..", "%F0%9F", encodeURIComponent("'; DROP TABLE messages; --")];
    for (const route of ["recall", "hide"]) {
      for (const id of ids) {
        const res = await call(app, "POST", `/api/messages/${id}/${route}`, { token: alice.token });
        expect(res.status, `${route} ${id}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${route} ${id}`).toBeLessThan(500);
      }
    }
    const c = connect(await listen(server), { token: alice.token, deviceId: randomUUID(), protocol: 1 });
    clients.push(c);
    await c.hello;
    for (const messageId of [42, [m.id], { id: m.id }, null, "x".repeat(65), ""]) {
      expect(await emitAck(c.socket, "recall", { messageId }), JSON.stringify(messageId)).toMatchObject({ ok: false, error: { code: "bad_request" } });
    }
    // A real id with a NUL after it is no message (SQLite finds none, PostgreSQL refuses the text): never the message itself.
    const nul = await emitAck<{ ok: boolean; error: { code: string } }>(c.socket, "recall", { messageId: `${m.id}\u0000` });
    expect(nul.ok).toBe(false);
    expect(["bad_request", "not_found"]).toContain(nul.error.code);
    expect(await heads()).toEqual(before);
    for (const s of [alice, bob]) expect(await history(s)).toEqual([m]);
  });
});
