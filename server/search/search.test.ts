import { afterEach, describe, expect, it } from "vitest";
import { type Message, parseInput, searchQuerySchema, type SearchResponse } from "../../shared/protocol/index.js";
import { call, captureLogs, openDirect, register, sendHttp, type Session, startServer, type TestServer } from "../testing/harness.js";
import { encodeCursor } from "./cursor.js";
import { search, type SearchBudgets } from "./search.js";

let server: TestServer;
afterEach(async () => server?.dispose());

/** A server whose clock stands still unless a test moves it (equal `at`s, on purpose). */
async function start(): Promise<{ app: TestServer["app"]; tick(ms?: number): void }> {
  let now = 1_700_000_000_000;
  server = await startServer({}, { clock: () => now });
  return { app: server.app, tick: (ms = 1) => void (now += ms) };
}

async function find(s: Session, params: Record<string, string | number>) {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  return call<SearchResponse & { error?: { code: string; message: string } }>(server.app, "GET", `/api/search?${query}`, { token: s.token });
}

/** A well-formed conversation id of no conversation. */
const SOME_UUID = "0b6f4c1e-5d2a-4c3b-9e8f-7a6b5c4d3e2f";

const bodies = (res: { body: SearchResponse }) => res.body.results.map((r) => r.message.body);

async function pair() {
  const { app, tick } = await start();
  const alice = await register(app, "alice");
  const bob = await register(app, "bob");
  const conv = await openDirect(app, alice, bob);
  const send = async (s: Session, body: string, conversationId = conv.conversationId) => {
    tick();
    return sendHttp(app, s, conversationId, body);
  };
  return { app, tick, alice, bob, conv, send };
}

describe("GET /api/search", () => {
  it("finds Chinese by one and two characters, full-width and upper case by their plain forms, emoji, newest first", async () => {
    const { alice, bob, send } = await pair();
    await send(alice, "你好，这个还在吗？");
    await send(bob, "hello there");
    await send(alice, "Ｈｅｌｌｏ again 👋🏽");
    await send(bob, "在的");
    expect(bodies(await find(bob, { q: "还在" }))).toEqual(["你好，这个还在吗？"]);
    expect(bodies(await find(bob, { q: "在" }))).toEqual(["在的", "你好，这个还在吗？"]);
    expect(bodies(await find(alice, { q: "ＨＥＬＬＯ" }))).toEqual(["Ｈｅｌｌｏ again 👋🏽", "hello there"]);
    expect(bodies(await find(alice, { q: "HeLLo Again" }))).toEqual(["Ｈｅｌｌｏ again 👋🏽"]);
    expect(bodies(await find(alice, { q: "👋" }))).toEqual(["Ｈｅｌｌｏ again 👋🏽"]);
    expect(bodies(await find(alice, { q: "h" }))).toEqual(["Ｈｅｌｌｏ again 👋🏽", "hello there"]);
    expect(bodies(await find(alice, { q: "还在吗吗" }))).toEqual([]);
  });

  it("takes %, _ and \\ literally (LIKE and FTS syntax are not the query language), through the scan and the index alike", async () => {
    const { alice, send } = await pair();
    for (const body of ["100% sure", "1000 sure", "snake_case", "snakeXcase", "C:\\temp\\x", "C:tempx", 'say "hi" OR no', 'he said "yes"', "a*b"]) await send(alice, body);
    const cases: [string, string[]][] = [
      ["0%", ["100% sure"]],
      ["0% s", ["100% sure"]],
      ["%", ["100% sure"]],
      ["100%", ["100% sure"]],
      ["e_c", ["snake_case"]],
      ["snake_c", ["snake_case"]],
      ["_", ["snake_case"]],
      [":\\t", ["C:\\temp\\x"]],
      ["\\", ["C:\\temp\\x"]],
      ['"hi" OR', ['say "hi" OR no']],
      ['d "y', ['he said "yes"']],
      ["a*b", ["a*b"]],
    ];
    for (const [q, expected] of cases) {
      // Over HTTP a scan of the newest messages finds them; with budgets of (almost) nothing, the trigram index does.
      expect([q, bodies(await find(alice, { q }))]).toEqual([q, expected]);
      const pages = await allPages(alice, q, 1, { scan: 1, probe: 1, windowMin: 1 });
      expect([q, pages.flatMap((p) => p.results.map((r) => r.message.body))]).toEqual([q, expected]);
    }
  });

  for (const q of ["message", "ss", "e"]) {
    it(`pages with before through ties of at, without a gap or a repeat (q=${q})`, async () => {
      const { app, tick, alice, bob, conv } = await pair();
      const carol = await register(app, "carol");
      const other = await openDirect(app, alice, carol);
      const sent: Message[] = [];
      for (let i = 0; i < 23; i++) {
        // Three at a time share an `at`, across both conversations.
        if (i % 3 === 0) tick();
        const s = i % 2 ? bob : alice;
        const conversationId = i % 2 ? conv.conversationId : other.conversationId;
        sent.push(await sendHttp(app, s === bob ? bob : alice, conversationId, `message ${i}`));
      }
      const order = [...sent].sort((a, b) => b.at - a.at || (b.conversationId > a.conversationId ? 1 : b.conversationId < a.conversationId ? -1 : 0) || b.seq - a.seq);
      const seen: string[] = [];
      let before: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const res = await find(alice, before ? { q, limit: 4, before } : { q, limit: 4 });
        expect(res.status).toBe(200);
        expect(res.body.results.length).toBeLessThanOrEqual(4);
        seen.push(...res.body.results.map((r) => r.message.id));
        before = res.body.before;
        if (!before) break;
      }
      expect(seen).toEqual(order.map((m) => m.id));
    });
  }

  it("searches only where the user is a member: another conversation is a 404, a left group no longer", async () => {
    const { app, alice, bob, conv, send } = await pair();
    const eve = await register(app, "eve");
    await send(alice, "secret plan");
    expect(bodies(await find(eve, { q: "secret" }))).toEqual([]);
    const res = await find(eve, { q: "secret", conversationId: conv.conversationId });
    expect(res.status).toBe(404);
    expect(res.body.error?.code).toBe("not_found");
    expect((await find(eve, { q: "secret", conversationId: "no-such-conversation" })).status).toBe(404);

    // bob follows alice, so her group takes him at once (docs/groups.md).
    await call(app, "POST", `/api/users/${alice.user.id}/follow`, { token: bob.token });
    const group = await call<{ summary: { conversationId: string } }>(app, "POST", "/api/conversations", {
      token: alice.token,
      body: { type: "group", title: "Plans", memberIds: [bob.user.id] },
    });
    const groupId = group.body.summary.conversationId;
    await send(alice, "group plan one", groupId);
    expect(bodies(await find(bob, { q: "plan", conversationId: groupId }))).toEqual(["group plan one"]);
    expect((await call(app, "POST", `/api/conversations/${groupId}/leave`, { token: bob.token })).status).toBeLessThan(300);
    await send(alice, "group plan two", groupId);
    expect(bodies(await find(alice, { q: "plan" }))).toEqual(["group plan two", "group plan one", "secret plan"]);
    expect(bodies(await find(bob, { q: "plan" }))).toEqual(["secret plan"]);
    expect((await find(bob, { q: "plan", conversationId: groupId })).status).toBe(404);
  });

  it("never finds a recalled message, one the user deleted for themselves, or a system line", async () => {
    const { alice, bob, send } = await pair();
    const recalled = await send(alice, "recall me please");
    const hidden = await send(bob, "hide me please");
    await send(bob, "keep me please");
    await server.storage.write(async (tx) => {
      await tx.messages.recall(recalled.id, recalled.at + 1);
      await tx.messages.hide(alice.user.id, hidden, hidden.at + 1);
    });
    expect(bodies(await find(alice, { q: "me please" }))).toEqual(["keep me please"]);
    expect(bodies(await find(alice, { q: "me" }))).toEqual(["keep me please"]);
    // Bob hid nothing; nobody finds the recalled text.
    expect(bodies(await find(bob, { q: "please" }))).toEqual(["keep me please", "hide me please"]);
    expect(bodies(await find(bob, { q: "recall" }))).toEqual([]);
    expect(bodies(await find(bob, { q: "rec" }))).toEqual([]);
  });

  it("refuses bad input with a 400 and a sentence", async () => {
    const { alice, send } = await pair();
    await send(alice, "anything");
    const cases: Record<string, string | number>[] = [
      { q: "" },
      { q: "   " },
      { q: "x".repeat(101) },
      { q: "a", limit: 0 },
      { q: "a", limit: 51 },
      { q: "a", limit: "ten" },
      { q: "a", before: "garbage" },
      { q: "a", before: Buffer.from("1.2").toString("base64url") },
      { q: "a", before: Buffer.from("-1.2.c").toString("base64url") },
      { q: "a", before: Buffer.from("99999999999999999.2.c").toString("base64url") },
      { q: "a", before: `${encodeCursor({ at: 5, conversationId: SOME_UUID, seq: 1 })}=` },
      // Every part checked: the conversation id is a UUID, seq at least 1, nothing after the id.
      { q: "a", before: Buffer.from("1.2.3").toString("base64url") },
      { q: "a", before: encodeCursor({ at: 5, conversationId: "c", seq: 1 }) },
      { q: "a", before: encodeCursor({ at: 5, conversationId: `${SOME_UUID}.x`, seq: 1 }) },
      { q: "a", before: encodeCursor({ at: 5, conversationId: SOME_UUID, seq: 0 }) },
      { q: "a", before: encodeCursor({ at: 1.5, conversationId: SOME_UUID, seq: 1 }) },
      { q: "a", unknown: 1 },
    ];
    for (const params of cases) {
      const res = await find(alice, params);
      expect([params, res.status]).toEqual([params, 400]);
      expect(res.body.error?.code).toBe("bad_request");
    }
    expect((await call(server.app, "GET", "/api/search?q=a")).status).toBe(401);
    // A cursor for a place nothing is older than: an empty page, no error.
    expect((await find(alice, { q: "a", before: encodeCursor({ at: 0, conversationId: SOME_UUID, seq: 1 }) })).body).toEqual({ results: [] });
  });

  /** Messages written in one transaction through the repo, `at` shared by threes, every `every`-th saying "needle". */
  async function bulk(conversationIds: string[], senderId: string, count: number, every: number): Promise<Message[]> {
    const messages: Message[] = [];
    await server.storage.write(async (tx) => {
      for (let i = 1; i <= count; i++) {
        const conversationId = conversationIds[i % conversationIds.length]!;
        const body = i % every === 0 ? `a needle 鲸 #${i}` : `filler 草 ${i}`;
        const seq = await tx.conversations.nextSeq(conversationId);
        const m: Message = { id: `m${i}`, conversationId, seq, senderId, clientMsgId: `c${i}`, kind: "text", body, at: 2_000_000_000_000 + Math.floor(i / 3) };
        await tx.messages.insert(m);
        messages.push(m);
      }
    });
    return messages;
  }

  const newestFirst = (ms: Message[]) =>
    [...ms].sort((a, b) => b.at - a.at || (b.conversationId > a.conversationId ? 1 : b.conversationId < a.conversationId ? -1 : 0) || b.seq - a.seq);

  /** Every page of a search, run through the rule with small budgets (the real ones, scaled down). */
  async function allPages(s: Session, q: string, limit: number, budgets: SearchBudgets) {
    const pages: SearchResponse[] = [];
    let before: string | undefined;
    do {
      const query = parseInput(searchQuerySchema, before ? { q, limit: String(limit), before } : { q, limit: String(limit) });
      const page = await server.storage.read((r) => search(r, s.user.id, query, budgets));
      pages.push(page);
      before = page.before;
    } while (before && pages.length < 100);
    return pages;
  }

  it("a short query reads at most its budget, and says where to go on; a longer one pages through scan and index alike", async () => {
    const { app, alice, bob, conv } = await pair();
    const carol = await register(app, "carol");
    const other = await openDirect(app, alice, carol);
    const sent = await bulk([conv.conversationId, other.conversationId], bob.user.id, 600, 37);
    const expected = newestFirst(sent.filter((m) => m.body.includes("needle"))).map((m) => m.id);
    const budgets = { scan: 100, probe: 60, windowMin: 10 };

    // One character: pages that read a budget's worth of messages each (in rounds), short of a page but with a place to go on from.
    const short = await allPages(alice, "鲸", 10, budgets);
    expect(short.flatMap((p) => p.results.map((r) => r.message.id))).toEqual(expected);
    expect(short.filter((p) => p.results.length < 10 && p.before).length).toBeGreaterThanOrEqual(2);

    // Three or more: every page full but the last, whether the probe or the index found them.
    const long = await allPages(alice, "needle 鲸", 5, budgets);
    expect(long.flatMap((p) => p.results.map((r) => r.message.id))).toEqual(expected);
    expect(long.slice(0, -1).every((p) => p.results.length === 5)).toBe(true);
    expect(long.length).toBe(Math.ceil(expected.length / 5));

    // A busy conversation and a quiet one whose match is old: reading stops at the busy one's place, and the
    // quiet one's old match waits for the page where everything newer than it has been read.
    const dave = await register(app, "dave");
    const busy = await openDirect(app, alice, dave);
    const quiet = await openDirect(app, dave, bob);
    const mixed: Message[] = [];
    await server.storage.write(async (tx) => {
      const put = async (conversationId: string, at: number, body: string) => {
        const seq = await tx.conversations.nextSeq(conversationId);
        const m: Message = { id: `x${conversationId}${seq}`, conversationId, seq, senderId: dave.user.id, clientMsgId: `x${conversationId}${seq}`, kind: "text", body, at };
        await tx.messages.insert(m);
        mixed.push(m);
      };
      for (let i = 1; i <= 12; i++) await put(quiet.conversationId, 3_000_000_000_000 + i, i === 5 ? "old 鲸 needle" : "quiet");
      for (let i = 1; i <= 200; i++) await put(busy.conversationId, 3_000_000_001_000 + i, i % 10 === 9 ? `busy 鲸 needle ${i}` : "busy");
    });
    const expectedMixed = newestFirst(mixed.filter((m) => m.body.includes("needle"))).map((m) => m.id);
    for (const q of ["鲸", "鲸 needle"]) {
      const pages = await allPages(dave, q, 3, { scan: 40, probe: 40, windowMin: 10 });
      expect([q, pages.flatMap((p) => p.results.map((r) => r.message.id))]).toEqual([q, expectedMixed]);
    }

    // Over HTTP, with the real budgets: a common character fills its page at once.
    const res = await find(alice, { q: "草", limit: 50 });
    expect(res.body.results).toHaveLength(50);
    expect(res.body.before).toBeDefined();
  });
});

describe("GET /api/search, logs", () => {
  it("never logs what was searched for", async () => {
    const logs = captureLogs();
    server = await startServer({ logLevel: "info" }, { logger: { stream: logs.stream } });
    const alice = await register(server.app, "alice");
    const res = await call(server.app, "GET", `/api/search?limit=5&q=${encodeURIComponent("秘密 plan")}`, { token: alice.token });
    expect(res.status).toBe(200);
    const requests = logs.lines.filter((l) => JSON.stringify(l).includes("/api/search"));
    expect(requests.length).toBeGreaterThan(0);
    for (const line of logs.lines) expect(JSON.stringify(line)).not.toMatch(/plan|%E7%A7%98|秘密/);
  });
});
