import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { Message } from "../../shared/protocol/index.js";
import { call, connect, type Client, emitAck, listen, openDirect, pullAll, register, type Session, startServer, type TestServer } from "../testing/harness.js";

let server: TestServer;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.disconnect();
  await server?.dispose();
});

type Answer = { status: number; message?: Message; code?: string };
type Ack = { ok: true; message: Message } | { ok: false; error: { code: string; retryAfterMs?: number } };

/**
 * One send over HTTP or the socket, as a status and what came back. Like the
 * app's outbox, `unavailable` (a PostgreSQL pool full under a burst) is sent
 * again as it is; every other answer is final.
 */
async function sendVia(via: "http" | Client, s: Session, body: object): Promise<Answer> {
  for (;;) {
    let answer: Answer & { retryAfterMs?: number };
    if (via === "http") {
      const res = await call<{ message: Message; error: { code: string } }>(server.app, "POST", "/api/messages", { token: s.token, body });
      answer = { status: res.status, message: res.body.message, code: res.body.error?.code, retryAfterMs: Number(res.headers["retry-after"] ?? 0) * 1000 };
    } else {
      const ack = await emitAck<Ack>(via.socket, "send", body);
      answer = ack.ok ? { status: 200, message: ack.message } : { status: 0, code: ack.error.code, retryAfterMs: ack.error.retryAfterMs };
    }
    if (answer.code !== "unavailable") return { status: answer.status, message: answer.message, code: answer.code };
    await new Promise((resolve) => setTimeout(resolve, answer.retryAfterMs || 500));
  }
}

async function setUp() {
  server = await startServer();
  const url = await listen(server);
  const alice = await register(server.app, "alice");
  const bob = await register(server.app, "bob");
  const carol = await register(server.app, "carol");
  const withBob = (await openDirect(server.app, alice, bob)).conversationId;
  const withCarol = (await openDirect(server.app, alice, carol)).conversationId;
  const socket = connect(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 });
  clients.push(socket);
  await socket.hello;
  const heads = async () => Promise.all([alice, bob, carol].map(async (s) => (await pullAll(server.app, s, "chat")).head));
  const history = async (conversationId: string) =>
    (await call<{ messages: Message[] }>(server.app, "GET", `/api/conversations/${conversationId}/messages`, { token: alice.token })).body.messages;
  return { alice, withBob, withCarol, socket, heads, history };
}

const text = (clientMsgId: string, conversationId: string, body = "once") => ({ clientMsgId, conversationId, kind: "text", body });

describe("clientMsgId: idempotent in its conversation, a conflict in another", () => {
  it("answers 409 over HTTP and the socket for a clientMsgId reused in another conversation, and changes nothing", async () => {
    const { alice, withBob, withCarol, socket, heads, history } = await setUp();
    const id = randomUUID();
    const first = await sendVia("http", alice, text(id, withBob));
    expect(first.status).toBe(201);
    const before = await heads();

    expect(await sendVia("http", alice, text(id, withCarol, "elsewhere"))).toEqual({ status: 409, code: "conflict" });
    expect(await sendVia(socket, alice, text(id, withCarol, "elsewhere"))).toEqual({ status: 0, code: "conflict" });

    expect(await heads()).toEqual(before);
    expect(await history(withCarol)).toEqual([]);
    expect(await history(withBob)).toEqual([first.message]);
  });

  it("returns the first message unchanged for a repeat over the socket, and appends nothing", async () => {
    const { alice, withBob, socket, heads, history } = await setUp();
    const id = randomUUID();
    const first = await sendVia(socket, alice, text(id, withBob));
    const before = await heads();
    const again = await sendVia(socket, alice, text(id, withBob, "edited on retry"));
    const viaHttp = await sendVia("http", alice, text(id, withBob));
    expect(again).toEqual({ status: 200, message: first.message });
    expect(viaHttp).toEqual({ status: 200, message: first.message });
    expect(await heads()).toEqual(before);
    expect(await history(withBob)).toEqual([first.message]);
  });

  it("stores one message for many repeats at once over HTTP and the socket, and every answer is that message", async () => {
    const { alice, withBob, socket, heads, history } = await setUp();
    const before = await heads();
    const id = randomUUID();
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => sendVia(i % 2 ? "http" : socket, alice, text(id, withBob))));

    const stored = await history(withBob);
    expect(stored).toHaveLength(1);
    expect(answers.map((a) => a.message)).toEqual(answers.map(() => stored[0]));
    // Every one accepted (a socket ack says ok, not which send stored it: the HTTP-only case below counts the 201s).
    expect(answers.every((a) => a.status === 200 || a.status === 201)).toBe(true);
    // One msg entry for each member of the conversation (alice, bob; the first message brings bob the chat too, a conv entry); carol's log is untouched.
    expect(await heads()).toEqual([before[0]! + 1, before[1]! + 2, before[2]]);
  });

  it("answers 201 to exactly one of many repeats at once over HTTP, and 200 with the same message to the rest", async () => {
    const { alice, withBob, history } = await setUp();
    const id = randomUUID();
    const answers = await Promise.all(Array.from({ length: 16 }, () => sendVia("http", alice, text(id, withBob))));
    const stored = await history(withBob);
    expect(stored).toHaveLength(1);
    expect(answers.map((a) => a.status).sort()).toEqual([201, ...Array.from({ length: 15 }, () => 200)].sort());
    expect(answers.map((a) => a.message)).toEqual(answers.map(() => stored[0]));
  });

  it("stores one message when the same clientMsgId races into two conversations; the losers get 409", async () => {
    const { alice, withBob, withCarol, socket, history } = await setUp();
    const id = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => sendVia(i % 2 ? "http" : socket, alice, text(id, i % 4 < 2 ? withBob : withCarol))),
    );
    const stored = [...(await history(withBob)), ...(await history(withCarol))];
    expect(stored).toHaveLength(1);
    const winner = stored[0]!;
    for (const a of answers) {
      const aimedAtWinner = a.message !== undefined;
      expect(aimedAtWinner ? a.message : a.code).toEqual(aimedAtWinner ? winner : "conflict");
    }
    expect(answers.filter((a) => a.code === "conflict")).toHaveLength(8);
  });
});
