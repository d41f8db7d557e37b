import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Item, Message } from "../../shared/protocol/index.js";
import { createOrder } from "../orders/orders.js";
import type { NewEntry, Repos } from "../storage/storage.js";
import { testDatabaseUrl, testEngine } from "../testing/engines.js";
import { call, eventually, openDirect, pullAll, register, sendHttp, type Session, startServer, type TestServer } from "../testing/harness.js";
import { updateSettings } from "./conversations.js";
import { readConversation } from "./read.js";

/**
 * A `conv` entry carries the conversation's lastMessage as it was read while
 * the summary was built. On PostgreSQL, transactions run side by side: a
 * recall or a delete for me that commits between that read and the entry's
 * append would leave the text in the entry. Each rule that builds a summary
 * and appends it locks the conversation first (as recall and hide do), so the
 * other write waits. Here each rule is paused just before that append while
 * the recall or hide runs; with the lock it waits (seen in pg_stat_activity),
 * without it, it commits in the window. SQLite runs one write at a time.
 */

let server: TestServer;
let observer: pg.Client;
beforeAll(async () => {
  if (testEngine !== "postgres") return;
  observer = new pg.Client({ connectionString: testDatabaseUrl() });
  await observer.connect();
});
afterAll(async () => observer?.end());
afterEach(async () => server?.dispose());

/** Whether some transaction is waiting for a lock right now. */
async function someoneWaits(): Promise<boolean> {
  const { rows } = await observer.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'`);
  return rows[0]!.n > 0;
}

/**
 * `tx` whose first append of a conv entry about `conversationId` first runs
 * `meanwhile` (over HTTP, on another connection) until it finished or waits
 * for a lock; then appends.
 */
function pausedBeforeConv(tx: Repos, conversationId: string, meanwhile: () => Promise<unknown>): { tx: Repos; finished: Promise<unknown> } {
  let finished: Promise<unknown> = Promise.resolve();
  let paused = false;
  const about = (e: NewEntry) => e.k === "conv" && (e.data as { summary: { conversationId: string } }).summary.conversationId === conversationId;
  const log = Object.create(tx.log) as Repos["log"];
  log.append = async (entries, at) => {
    if (!paused && entries.some(about)) {
      paused = true;
      let done = false;
      finished = meanwhile().finally(() => (done = true));
      await eventually(async () => done || (await someoneWaits()));
    }
    return tx.log.append(entries, at);
  };
  return { tx: { ...tx, log }, get finished() { return finished; } };
}

/** Runs `rule` on a transaction paused before its conv entry while `meanwhile` runs; both end. */
async function interleaved(conversationId: string, rule: (tx: Repos) => Promise<unknown>, meanwhile: () => Promise<{ status: number }>) {
  let other!: Promise<unknown>;
  await server.storage.write(async (tx) => {
    const paused = pausedBeforeConv(tx, conversationId, meanwhile);
    const result = await rule(paused.tx);
    other = paused.finished;
    return result;
  });
  return (await other) as { status: number };
}

const holding = async (s: Session, text: string) =>
  (await pullAll(server.app, s, "chat")).entries.filter((e) => JSON.stringify(e.data).includes(text)).map((e) => e.k);

const T0 = 1_800_000_000_000;

describe.skipIf(testEngine !== "postgres")("a summary appended while its lastMessage is recalled or hidden (PostgreSQL)", () => {
  async function pair() {
    server = await startServer({}, { clock: () => T0 });
    const [alice, bob] = [await register(server.app), await register(server.app)];
    const conversationId = (await openDirect(server.app, alice, bob)).conversationId;
    return { alice, bob, conversationId };
  }
  const recall = (s: Session, m: Message) => call(server.app, "POST", `/api/messages/${m.id}/recall`, { token: s.token });
  const hide = (s: Session, m: Message) => call(server.app, "POST", `/api/messages/${m.id}/hide`, { token: s.token });

  it("a settings change and a recall: no entry keeps the text", async () => {
    const { alice, conversationId } = await pair();
    const m = await sendHttp(server.app, alice, conversationId, "secret settings recall");
    const res = await interleaved(conversationId, (tx) => updateSettings(tx, alice.user.id, conversationId, { pinned: true }, T0), () => recall(alice, m));
    expect(res.status).toBe(200);
    expect(await holding(alice, "secret settings recall")).toEqual([]);
  });

  it("a settings change and a delete for me: the hider's entries do not keep the text", async () => {
    const { alice, bob, conversationId } = await pair();
    const m = await sendHttp(server.app, bob, conversationId, "secret settings hide");
    const res = await interleaved(conversationId, (tx) => updateSettings(tx, alice.user.id, conversationId, { pinned: true }, T0), () => hide(alice, m));
    expect(res.status).toBe(204);
    expect(await holding(alice, "secret settings hide")).toEqual([]);
    // Bob keeps it: his message, and the summary that showed him the chat with it (its first message).
    expect(await holding(bob, "secret settings hide")).toEqual(["conv", "msg"]);
  });

  it("reading clears marked unread, and a recall: no entry keeps the text", async () => {
    const { alice, bob, conversationId } = await pair();
    const m = await sendHttp(server.app, bob, conversationId, "secret read recall");
    // Read already, then marked unread: reading again moves nothing (no receipt appended), it only clears the mark.
    expect((await call(server.app, "POST", `/api/conversations/${conversationId}/read`, { token: alice.token, body: { seq: m.seq } })).status).toBe(200);
    const marked = await call(server.app, "PATCH", `/api/conversations/${conversationId}/settings`, { token: alice.token, body: { markedUnread: true } });
    expect(marked.status).toBe(200);
    const res = await interleaved(conversationId, (tx) => readConversation(tx, alice.user.id, conversationId, m.seq, T0), () => recall(bob, m));
    expect(res.status).toBe(200);
    expect(await holding(alice, "secret read recall")).toEqual([]);
  });

  it("a purchase announces the item sold in the other buyers' chats, and a delete for me in one of them: it keeps no text", async () => {
    server = await startServer({}, { clock: () => T0 });
    const [seller, bob, carol] = [await register(server.app), await register(server.app), await register(server.app)];
    const item = (await call<{ item: Item }>(server.app, "POST", "/api/items", { token: seller.token, body: { title: "Bike", priceCents: 5000, description: "Red" } }))
      .body.item;
    const opened = await call<{ summary: { conversationId: string } }>(server.app, "POST", "/api/conversations", {
      token: carol.token,
      body: { type: "item", itemId: item.id },
    });
    const carols = opened.body.summary.conversationId;
    const m = await sendHttp(server.app, seller, carols, "secret sold elsewhere");
    const res = await interleaved(carols, (tx) => createOrder(tx, bob.user.id, item.id, T0), () => hide(carol, m));
    expect(res.status).toBe(204);
    expect(await holding(carol, "secret sold elsewhere")).toEqual([]);
    // The other chat was announced sold.
    const last = (await pullAll(server.app, carol, "chat")).entries.filter((e) => e.k === "conv").at(-1)!;
    expect((last.data as { summary: { item: Item } }).summary.item.status).toBe("sold");
  });
});
