import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthResponse as Session, Entry, Message, Summary } from "../../shared/protocol/index.js";
import { seeded } from "../../shared/sync/testing.js";
import { startPostgres } from "../../scripts/provision/postgres.js";
import type { RunningService } from "../../scripts/provision/service.js";
import { createTestSchema, type TestSchema } from "../testing/engines.js";
import { type Client, type ClientSocket, connect, eventually } from "../testing/harness.js";
import { Balancer } from "../testing/balancer.js";
import { ServerProcess } from "../testing/server-process.js";

/**
 * Two real server processes (child processes, so they can be SIGKILLed and
 * their database stopped under them) as one Courier: one DATABASE_URL, one
 * REDIS_URL (TEST_REDIS_URL). What they must survive:
 * - a process killed mid-traffic: its client moves to the other, re-sends
 *   what got no answer with the same clientMsgId, and nothing is lost,
 *   doubled or left out of a member's versions;
 * - PostgreSQL stopped and started again: 503 + Retry-After on both, not
 *   ready while it is down, and working again without a restart;
 * - presence: a device live on one process is online as the other sees it.
 */
// Cluster tests choose their engine themselves (vitest.config.ts leaves them out of the server-on-postgres run).
const skipReason = !process.env.TEST_DATABASE_URL || !process.env.TEST_REDIS_URL ? "needs TEST_DATABASE_URL and TEST_REDIS_URL: run it through `npm test`, which starts both" : null;

const SEED = Number(process.env.CLUSTER_FAULT_SEED ?? 11);

/** What every process here runs with: sends unlimited (the test sends as fast as it is answered), quiet logs. */
function clusterEnv(databaseUrl: string): Record<string, string> {
  return { DATABASE_URL: databaseUrl, REDIS_URL: process.env.TEST_REDIS_URL ?? "", RATE_SEND_PER_10S: "0", LOG_LEVEL: "error" };
}

/** Sequentially, so the second does not race the first through the migrations. */
async function startProcesses(n: number, env: Record<string, string>): Promise<ServerProcess[]> {
  const started: ServerProcess[] = [];
  for (let i = 0; i < n; i++) started.push(await ServerProcess.start({ env }));
  return started;
}

interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** JSON over HTTP to one process, as a client behind a balancer would reach it. */
async function http<T = Record<string, unknown>>(base: string, method: string, path: string, token?: string, body?: unknown): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

async function ok<T>(base: string, method: string, path: string, token?: string, body?: unknown): Promise<T> {
  const res = await http<T>(base, method, path, token, body);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

let people = 0;
const tag = randomUUID().slice(0, 8);
const registerAt = (base: string, name: string) =>
  ok<Session>(base, "POST", "/api/auth/register", undefined, { username: `${name}_${tag}_${++people}`, password: "correct horse" });

async function directChat(base: string, a: Session, b: Session): Promise<string> {
  const { summary } = await ok<{ summary: Summary }>(base, "POST", "/api/conversations", a.token, { type: "direct", peerId: b.user.id });
  return summary.conversationId;
}

/** The conversation's whole history, oldest first, in pages of 100. */
async function historyOf(base: string, token: string, conversationId: string): Promise<Message[]> {
  const all: Message[] = [];
  for (let before: number | undefined; ; ) {
    const query = before === undefined ? "limit=100" : `limit=100&before=${before}`;
    const { messages } = await ok<{ messages: Message[] }>(base, "GET", `/api/conversations/${conversationId}/messages?${query}`, token);
    all.unshift(...messages);
    if (messages.length < 100) return all;
    before = messages[0]!.seq;
  }
}

/** A pull of the chat domain above `after`, up to its head. */
async function pullChat(base: string, token: string, after: number): Promise<{ entries: Entry[]; head: number }> {
  const entries: Entry[] = [];
  for (let from = after; ; ) {
    const page = await ok<{ entries: Entry[]; head: number; reset: boolean }>(base, "GET", `/api/sync/chat?after=${from}&limit=500`, token);
    expect(page.reset).toBe(false);
    entries.push(...page.entries);
    from = page.entries.at(-1)?.v ?? from;
    if (page.entries.length === 0 || from >= page.head) return { entries, head: page.head };
  }
}

const socketOf = (base: string, s: Session, deviceId: string): Client => connect(base, { token: s.token, deviceId, protocol: 1 });

type SendAck = { ok: true; message: Message } | { ok: false; error: { code: string } };

/** `send` over a socket: the ack, or null when the socket went before one came. */
function sendOver(socket: ClientSocket, payload: { clientMsgId: string; conversationId: string; kind: "text"; body: string }): Promise<SendAck | null> {
  return new Promise((resolve) => {
    if (!socket.connected) return resolve(null);
    const gone = () => resolve(null);
    socket.once("disconnect", gone);
    (socket.emit as (ev: string, p: unknown, cb: (res: SendAck) => void) => void)("send", payload, (res) => {
      socket.off("disconnect", gone);
      resolve(res);
    });
  });
}

const msgOf = (e: Entry) => (e.data as { message: Message }).message;

describe.skipIf(skipReason !== null)(`two processes, one Courier${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let schema: TestSchema;
  let p1: ServerProcess;
  let p2: ServerProcess;

  beforeAll(async () => {
    schema = await createTestSchema();
    [p1, p2] = (await startProcesses(2, clusterEnv(schema.url))) as [ServerProcess, ServerProcess];
  }, 60_000);
  afterAll(async () => {
    await Promise.all([p1?.stop(), p2?.stop()]);
    await schema?.drop();
  });

  it("shows a device live on process 2 online in process 1's device list, after a message committed on process 1, and offline once it goes", async () => {
    const alice = await registerAt(p1.url, "alice");
    const bob = await registerAt(p1.url, "bob");
    const conversationId = await directChat(p1.url, alice, bob);
    const deviceId = randomUUID();
    const bobLive = socketOf(p2.url, bob, deviceId);
    await bobLive.hello;

    const sent = await ok<{ message: Message }>(p1.url, "POST", "/api/messages", alice.token, { clientMsgId: randomUUID(), conversationId, kind: "text", body: "are you there?" });
    // Committed on 1, pushed live on 2.
    await eventually(() => bobLive.pushed.some((e) => e.k === "msg" && msgOf(e).id === sent.message.id));
    const listed = await ok<{ devices: { id: string; online: boolean; transport: string | null }[] }>(p1.url, "GET", "/api/devices", bob.token);
    expect(listed.devices.find((d) => d.id === deviceId)).toMatchObject({ online: true, transport: "ws" });

    bobLive.socket.disconnect();
    await eventually(async () => {
      const after = await ok<{ devices: { id: string; online: boolean }[] }>(p1.url, "GET", "/api/devices", bob.token);
      return after.devices.find((d) => d.id === deviceId)?.online === false;
    });
  });

  it(`loses nothing acknowledged, stores each retried send once and keeps versions gapless when a process is SIGKILLed mid-traffic (seed ${SEED})`, async () => {
    const random = seeded(SEED);
    const TOTAL = 120;
    // Process 1 dies after this many answers, with more sends in flight.
    const killAfter = 25 + Math.floor(random() * 40);
    const alice = await registerAt(p1.url, "alice");
    const bob = await registerAt(p1.url, "bob");
    const conversationId = await directChat(p1.url, alice, bob);
    const aliceDevice = randomUUID();
    const bobLive = socketOf(p2.url, bob, randomUUID());
    const hello = await bobLive.hello;
    const bobHeadAtStart = hello.heads.chat;

    const sends = Array.from({ length: TOTAL }, (_, i) => ({
      payload: { clientMsgId: randomUUID(), conversationId, kind: "text" as const, body: `m${String(i).padStart(3, "0")}` },
      ack: null as SendAck | null,
      /** Emitted on process 1 (it may have been stored there with no answer). */
      triedOn1: false,
    }));

    // Alice reaches the processes through a balancer that prefers process 1.
    const balancer = new Balancer([p1.port, p2.port]);
    const front = await balancer.listen({ prefer: [0, 1] });
    // She streams sends without waiting for answers…
    const aliceOn1 = socketOf(front.url, alice, aliceDevice);
    await aliceOn1.hello;
    expect(front.live()).toEqual([1, 0]);
    let acked = 0;
    let killed = false;
    const inFlight: Promise<void>[] = [];
    const streaming = (async () => {
      for (const s of sends) {
        if (killed || !aliceOn1.socket.connected) return;
        s.triedOn1 = true;
        inFlight.push(
          sendOver(aliceOn1.socket, s.payload).then((ack) => {
            s.ack = ack;
            if (ack?.ok) acked++;
          }),
        );
        await sleep(6);
      }
    })();
    // …her link stalls after `killAfter` answers (later answers are in transit), process 1 stores a few more, and dies.
    await eventually(() => acked >= killAfter, 20_000);
    front.stall();
    // Answers already past the balancer still land after the stall: compare with the count as it is at each look.
    await eventually(async () => (await historyOf(p2.url, bob.token, conversationId)).length >= acked + 5, 20_000);
    killed = true;
    await p1.kill("SIGKILL");
    await streaming;
    await Promise.all(inFlight);
    front.resume();
    const ackedOn1 = sends.filter((s) => s.ack?.ok);
    const unanswered = sends.filter((s) => s.triedOn1 && !s.ack?.ok);
    expect(aliceOn1.socket.connected).toBe(false);
    // Which of the unanswered ones process 1 had stored before it died (read on process 2): at least 5, by construction.
    const storedBefore = new Set((await historyOf(p2.url, alice.token, conversationId)).map((m) => m.clientMsgId));
    const alreadyStored = unanswered.filter((s) => storedBefore.has(s.payload.clientMsgId)).length;
    expect(alreadyStored).toBeGreaterThanOrEqual(5);

    // Her app reconnects through the balancer, which finds process 1 refusing and hands her to process 2;
    // she re-sends, in order, whatever got no answer, then the rest.
    const aliceOn2 = socketOf(front.url, alice, aliceDevice);
    await aliceOn2.hello;
    expect(front.live()).toEqual([0, 1]);
    for (const s of sends.filter((x) => !x.ack?.ok)) {
      s.ack = await sendOver(aliceOn2.socket, s.payload);
      expect(s.ack).toMatchObject({ ok: true });
    }
    // A second retry of everything that had been in doubt changes nothing.
    for (const s of unanswered) expect(await sendOver(aliceOn2.socket, s.payload)).toEqual(s.ack);

    // Stored: each send exactly once, as its answer said.
    const history = await historyOf(p2.url, bob.token, conversationId);
    expect(history).toHaveLength(TOTAL);
    const byClientId = new Map(history.map((m) => [m.clientMsgId, m]));
    expect(byClientId.size).toBe(TOTAL);
    for (const s of sends) expect(byClientId.get(s.payload.clientMsgId)).toEqual((s.ack as { message: Message }).message);

    // Bob's versions: gapless from 1 to the head.
    const all = await pullChat(p2.url, bob.token, 0);
    expect(all.entries.map((e) => e.v)).toEqual(Array.from({ length: all.head }, (_, i) => i + 1));

    // Bob's device on process 2, as its client would build its view: live pushes, a pull for every gap, a pull up to the head.
    await eventually(() => bobLive.pushed.some((e) => e.k === "msg" && msgOf(e).clientMsgId === sends.at(-1)!.payload.clientMsgId));
    const view = new Map<number, Entry>();
    let pulledForGaps = 0;
    const apply = (entries: Entry[]) => {
      for (const e of entries) {
        const held = view.get(e.v);
        // A version seen twice (push, retransmission, pull) must be the same entry.
        if (held) expect(e).toEqual(held);
        else view.set(e.v, e);
      }
    };
    let applied = bobHeadAtStart;
    for (const e of [...bobLive.pushed].sort((a, b) => a.v - b.v)) {
      if (e.v > applied + 1) {
        const gap = await pullChat(p2.url, bob.token, applied);
        pulledForGaps += gap.entries.filter((g) => g.v < e.v).length;
        apply(gap.entries.filter((g) => g.v < e.v));
      }
      apply([e]);
      applied = Math.max(applied, e.v);
    }
    const tail = await pullChat(p2.url, bob.token, applied);
    apply(tail.entries);
    const shown = [...view.values()].filter((e) => e.k === "msg").map(msgOf);
    expect(shown.map((m) => m.clientMsgId).sort()).toEqual(sends.map((s) => s.payload.clientMsgId).sort());
    expect(new Set(shown.map((m) => m.id)).size).toBe(TOTAL);
    expect([...view.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: all.head - bobHeadAtStart }, (_, i) => bobHeadAtStart + i + 1));

    // What process 1 acknowledged before it died crossed to process 2 live (through Redis).
    const pushedIds = new Set(bobLive.pushed.filter((e) => e.k === "msg").map((e) => msgOf(e).clientMsgId));
    const notLive = ackedOn1.filter((s) => !pushedIds.has(s.payload.clientMsgId)).map((s) => s.payload.body);
    console.info(
      `cluster kill: ${TOTAL} sends, killed after ${ackedOn1.length} answers on process 1, ${unanswered.length} in flight re-sent on process 2 ` +
        `(${alreadyStored} of them already stored); ` +
        `recipient on process 2: ${pushedIds.size} live, ${pulledForGaps} pulled for gaps, ${tail.entries.length} by the final pull`,
    );
    expect(notLive).toEqual([]);
    bobLive.socket.disconnect();
    aliceOn2.socket.disconnect();
    await balancer.stop();
  }, 60_000);
});

describe.skipIf(skipReason !== null)(`two processes while their PostgreSQL stops and starts again${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let pg: RunningService;
  let procs: ServerProcess[] = [];

  beforeAll(async () => {
    // A PostgreSQL of its own: this test stops it.
    pg = await startPostgres();
    procs = await startProcesses(2, clusterEnv(pg.url));
  }, 90_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    pg?.stop();
  });

  it("answers 503 unavailable with Retry-After on both and is not ready, stays alive, and sends again on both once it is back, without a restart", async () => {
    const [one, two] = procs as [ServerProcess, ServerProcess];
    const alice = await registerAt(one.url, "alice");
    const bob = await registerAt(one.url, "bob");
    const conversationId = await directChat(one.url, alice, bob);
    const bobLive = socketOf(two.url, bob, randomUUID());
    await bobLive.hello;
    const send = (base: string, body: string) => http<{ message?: Message; error?: { code: string } }>(base, "POST", "/api/messages", alice.token, { clientMsgId: randomUUID(), conversationId, kind: "text", body });

    await pg.pause!();
    for (const proc of procs) {
      const refused = await send(proc.url, "while down");
      expect(refused.status).toBe(503);
      expect(refused.body.error).toMatchObject({ code: "unavailable" });
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      const ready = await http<{ ready: boolean; database: string; redis: string }>(proc.url, "GET", "/api/ready");
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ ready: false, database: "down", redis: "up" });
      expect((await http(proc.url, "GET", "/api/health")).status).toBe(200);
    }

    const downAt = Date.now();
    await pg.resume!();
    const resumedMs = Date.now() - downAt;
    const back: Message[] = [];
    for (const [i, proc] of procs.entries()) {
      await eventually(async () => {
        const res = await send(proc.url, `after the outage, on process ${i + 1}`);
        if (res.status === 201) back.push(res.body.message!);
        return res.status === 201;
      }, 20_000);
      await eventually(async () => (await http(proc.url, "GET", "/api/ready")).status === 200, 20_000);
    }
    console.info(`cluster database outage: PostgreSQL back in ${resumedMs} ms, both processes sending again ${Date.now() - downAt} ms after the restart began`);
    // Nothing refused was kept; both sends after it arrive live on process 2.
    const history = await historyOf(two.url, bob.token, conversationId);
    expect(history.map((m) => m.body)).toEqual(back.map((m) => m.body));
    await eventually(() => back.every((m) => bobLive.pushed.some((e) => e.k === "msg" && msgOf(e).id === m.id)));
    bobLive.socket.disconnect();
  }, 90_000);
});

describe.skipIf(skipReason !== null)(`a process that dies cut off from Redis${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let schema: TestSchema;
  let redisFront: Balancer;
  let p1: ServerProcess;
  let p2: ServerProcess;

  beforeAll(async () => {
    schema = await createTestSchema();
    // Process 1 reaches Redis through a balancer, so its link alone can be cut; process 2 directly.
    redisFront = new Balancer([Number(new URL(process.env.TEST_REDIS_URL!).port)]);
    const front = await redisFront.listen();
    p1 = await ServerProcess.start({ env: { ...clusterEnv(schema.url), REDIS_URL: `redis://127.0.0.1:${front.port}` } });
    p2 = await ServerProcess.start({ env: clusterEnv(schema.url) });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([p1?.stop(), p2?.stop()]);
    await redisFront?.stop();
    await schema?.drop();
  });

  // A process that could not publish asks the others to heal when its link comes back (redis-bus.ts); one that dies
  // first never asks, but the others notice it went silent and heal (and a 30 s safety heal backs that up).
  it("what a process committed while cut off from Redis reaches a device live on another process within 10 s, though it died before its link came back", async () => {
    const alice = await registerAt(p1.url, "alice");
    const bob = await registerAt(p1.url, "bob");
    const conversationId = await directChat(p1.url, alice, bob);
    const bobLive = socketOf(p2.url, bob, randomUUID());
    await bobLive.hello;
    const sendOn1 = (body: string) => ok<{ message: Message }>(p1.url, "POST", "/api/messages", alice.token, { clientMsgId: randomUUID(), conversationId, kind: "text", body });
    const before = await sendOn1("before");
    await eventually(() => bobLive.pushed.some((e) => e.k === "msg" && msgOf(e).id === before.message.id));

    // Process 1 loses Redis (Redis and process 2 are fine), commits a message, and is killed before its link returns.
    await redisFront.stop();
    await eventually(async () => (await http<{ redis: string }>(p1.url, "GET", "/api/ready")).body.redis === "down");
    const orphan = await sendOn1("committed while cut off");
    await p1.kill("SIGKILL");

    try {
      await eventually(() => bobLive.pushed.some((e) => e.k === "msg" && msgOf(e).id === orphan.message.id), 10_000);
    } finally {
      bobLive.socket.disconnect();
    }
  }, 30_000);
});

