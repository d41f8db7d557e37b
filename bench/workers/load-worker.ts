import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { Entry } from "../../shared/protocol/index.js";
import {
  epochNow,
  type ChatResult,
  type ClientCreds,
  type FanoutResult,
  type ParentMessage,
  type Phase,
  type StatusResult,
  type WorkerMessage,
  type WorkerSetup,
} from "../lib/jobs.js";
import type { NodeClient } from "../lib/node-client.js";
import { RawClient } from "../lib/raw-client.js";
import { mapLimit, percentile } from "../lib/stats.js";

/** Loaded only by workers that need it (the web app's code and its schemas take a while to import). */
const loadNodeClient = async () => (await import("../lib/node-client.js")).NodeClient;

/**
 * A load-generating child process (forked by bench/lib/fleet.ts). It opens
 * its share of the clients once (`setup`), then runs phases on command
 * (`run`) and reports raw samples; the orchestrator merges workers.
 */

type MsgRecord = { sentAt: number; inWindow: boolean; arrived: number; applied: number; observed: number };

interface Sender {
  send(conversationId: string, clientMsgId: string, body: string, done: (ok: boolean, error?: string) => void): void;
  close(): void;
}

let setup: WorkerSetup | null = null;
let closers: Array<() => void> = [];
let statusOf: () => StatusResult = () => ({ clients: 0, online: 0, hellos: 0, refusals: 0 });

// ── chat: pairs, A sends to B ─────────────────────────────────────────────

let chatPairs: Array<{ sender: Sender; conversationId: string }> = [];
/** clientMsgId → record, for the phase running now. */
let records = new Map<string, MsgRecord>();
let window = { from: 0, to: 0 };
let received = 0;
let latencies: number[] = [];
let latencySentAt: number[] = [];
let applyLatencies: number[] = [];
let ackLatencies: number[] = [];
let ackSentAt: number[] = [];
let redisLatencies: number[] = [];
let afterRedisLatencies: number[] = [];
let redisHeard = { messages: 0, bytes: 0 };

const clientMsgId = (e: Entry) => (e.k === "msg" ? (e.data as { message?: { clientMsgId?: string } }).message?.clientMsgId : undefined);

function onArrival(entries: Entry[], at: number, applied: boolean): void {
  for (const e of entries) {
    const id = clientMsgId(e);
    const rec = id ? records.get(id) : undefined;
    if (!rec) continue;
    if (applied) {
      if (rec.applied) continue;
      rec.applied = at;
      if (rec.inWindow) applyLatencies.push(at - rec.sentAt);
    } else {
      if (rec.arrived) continue;
      rec.arrived = at;
      if (at >= window.from && at < window.to) received++;
      if (rec.inWindow) {
        latencies.push(at - rec.sentAt);
        latencySentAt.push(performance.timeOrigin + rec.sentAt);
      }
      if (rec.inWindow && rec.observed) afterRedisLatencies.push(at - rec.observed);
    }
  }
}

/**
 * A cluster's committed batches pass through Redis as `SPUBLISH u:{<userId>} {n, e: entries}`
 * (server/cluster/redis-bus.ts): listening on the recipients' channels beside their process splits
 * send → recipient into send → on Redis (the sender's process: the send's transaction, then the publish)
 * and on Redis → recipient (the recipient's process: its subscriber, then the push). One more subscriber
 * per channel costs Redis one more delivery per message.
 */
async function observeRedis(url: string, userIds: string[]): Promise<void> {
  const observer = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  closers.push(() => observer.disconnect());
  observer.on("smessage", (_channel: string, message: string) => {
    const at = performance.now();
    redisHeard.messages++;
    redisHeard.bytes += Buffer.byteLength(message);
    const entries = (JSON.parse(message) as { e?: Entry[] }).e ?? [];
    for (const e of entries) {
      const id = clientMsgId(e);
      const rec = id ? records.get(id) : undefined;
      if (!rec || rec.observed) continue;
      rec.observed = at;
      if (rec.inWindow) redisLatencies.push(at - rec.sentAt);
    }
  });
  await observer.connect();
  if (userIds.length > 0) await observer.ssubscribe(...userIds.map((id) => `u:{${id}}`));
}

function rawSender(client: RawClient): Sender {
  return { send: (c, id, body, done) => client.send(c, id, body, (ok) => done(ok, client.lastError ?? undefined)), close: () => client.close() };
}

function nodeSender(client: NodeClient): Sender {
  return {
    send: (c, id, body, done) =>
      client.send(c, body, id).then(
        () => done(true),
        (error: unknown) => done(false, String(error)),
      ),
    close: () => client.close(),
  };
}

async function setupChat(s: Extract<WorkerSetup, { kind: "chat" }>): Promise<{ failed: number; firstError: string | null }> {
  const NodeClient = s.client === "raw" ? null : await loadNodeClient();
  let failed = 0;
  let firstError: string | null = null;
  const built = await mapLimit(s.pairs, s.concurrency, async (pair) => {
    try {
      if (s.client === "raw") {
        if (s.target === "courier") await Promise.all([registerDevice(s.url, pair.a), registerDevice(pair.bUrl ?? s.url, pair.b)]);
        const a = new RawClient({ url: s.url, target: s.target, ...pair.a, rooms: [pair.conversationId] });
        const b = new RawClient({ url: pair.bUrl ?? s.url, target: s.target, ...pair.b, rooms: [pair.conversationId], onPush: (entries, at) => onArrival(entries, at, false) });
        closers.push(() => a.close(), () => b.close());
        await Promise.all([a.connect(), b.connect()]);
        return { sender: rawSender(a), conversationId: pair.conversationId };
      }
      const a = new NodeClient!({ url: s.url, transport: s.client, lean: s.lean, connections: s.connections, ...pair.a });
      const b = new NodeClient!({
        url: pair.bUrl ?? s.url,
        transport: s.client,
        lean: s.lean,
        connections: s.connections,
        ...pair.b,
        onPush: (entries, at) => onArrival(entries, at, false),
        onApplied: (entries, at) => onArrival(entries, at, true),
      });
      closers.push(() => a.close(), () => b.close());
      await Promise.all([a.start(), b.start()]);
      return { sender: nodeSender(a), conversationId: pair.conversationId };
    } catch (error) {
      failed++;
      firstError ??= String(error);
      return null;
    }
  });
  chatPairs = built.filter((p): p is NonNullable<typeof p> => p !== null);
  if (s.observeRedis) await observeRedis(s.observeRedis, s.pairs.map((p) => p.b.userId));
  return { failed, firstError };
}

/**
 * What people write in a marketplace chat, English and Chinese: the bodies
 * the chat suites send, so the server's search index gets the distinct
 * trigrams real text has (a body of one repeated letter has a handful).
 */
const CHAT_LINES = [
  "Hi! Is the bike still available? I could pick it up tomorrow after work.",
  "你好，这个还在吗？可以便宜一点吗？",
  "Yes, still here. The tyres are new and the gears were serviced last month.",
  "Would you take 120 for it? I can pay cash when I come by.",
  "周末可以当面交易吗？我在地铁站附近。",
  "Sure, Saturday morning works. Send me the address when you are ready.",
  "Does it come with the charger and the original box?",
  "包装和说明书都在，几乎没用过。",
];

/** `count` bodies of `bytes` bytes of UTF-8 at most, from CHAT_LINES, each starting elsewhere in them. */
function chatBodies(bytes: number, count = 64): string[] {
  const text = CHAT_LINES.join(" ");
  const chars = [...text];
  return Array.from({ length: count }, (_, i) => {
    let body = "";
    for (let at = (i * 37) % chars.length; Buffer.byteLength(body + chars[at % chars.length]!) <= bytes; at++) body += chars[at % chars.length];
    return body;
  });
}

async function runChat(p: Extract<Phase, { kind: "chat" }>): Promise<ChatResult> {
  records = new Map();
  latencies = [];
  latencySentAt = [];
  applyLatencies = [];
  ackLatencies = [];
  ackSentAt = [];
  redisLatencies = [];
  afterRedisLatencies = [];
  redisHeard = { messages: 0, bytes: 0 };
  received = 0;
  const start = p.startAt - performance.timeOrigin;
  window = { from: start + p.warmupMs, to: start + p.warmupMs + p.durationMs };
  const end = window.to;
  let sentInWindow = 0;
  let acceptedInWindow = 0;
  let acceptedTotal = 0;
  let errors = 0;
  let lastError: string | null = null;
  let seq = 0;
  const lags: number[] = [];
  const bodies = chatBodies(p.bodyBytes - 10);

  const sendOne = (pairIndex: number, onDone?: () => void) => {
    const pair = chatPairs[pairIndex]!;
    const id = randomUUID();
    const now = performance.now();
    const inWindow = now >= window.from && now < window.to;
    if (inWindow) sentInWindow++;
    records.set(id, { sentAt: now, inWindow, arrived: 0, applied: 0, observed: 0 });
    pair.sender.send(pair.conversationId, id, `${++seq} ${bodies[seq % bodies.length]}`, (ok, error) => {
      const at = performance.now();
      if (ok) acceptedTotal++;
      if (ok && inWindow) {
        ackLatencies.push(at - now);
        ackSentAt.push(performance.timeOrigin + now);
      }
      if (ok && at >= window.from && at < window.to) acceptedInWindow++;
      if (!ok) {
        errors++;
        lastError = error ?? lastError;
      }
      onDone?.();
    });
  };

  await sleepUntil(start);
  if (chatPairs.length > 0 && p.mode === "saturate") {
    await new Promise<void>((resolve) => {
      let open = chatPairs.length * p.window;
      const loop = (i: number) => {
        if (performance.now() >= end) {
          if (--open === 0) resolve();
          return;
        }
        sendOne(i, () => loop(i));
      };
      for (let i = 0; i < chatPairs.length; i++) for (let w = 0; w < p.window; w++) loop(i);
    });
  } else if (chatPairs.length > 0) {
    // Open loop: message k is due at start + k / rate, whatever the server does.
    await new Promise<void>((resolve) => {
      let k = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        const due = Math.floor(((Math.min(now, end) - start) * p.rate) / 1000);
        while (k < due) {
          lags.push(now - (start + (k * 1000) / p.rate));
          sendOne(k % chatPairs.length);
          k++;
        }
        if (now >= end) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
  }
  // Drain: until every send of the window has arrived (applied, for web clients), or drainMs.
  const drainEnd = performance.now() + p.drainMs;
  const web = setup?.kind === "chat" && setup.client !== "raw";
  const pending = () => [...records.values()].filter((r) => r.inWindow && (web ? !r.applied : !r.arrived)).length;
  while (performance.now() < drainEnd && pending() > 0) await sleep(50);
  return {
    sentInWindow,
    acceptedInWindow,
    acceptedTotal,
    receivedInWindow: received,
    lostOfWindow: pending(),
    latencies: Float64Array.from(latencies),
    latencySentAt: Float64Array.from(latencySentAt),
    applyLatencies: Float64Array.from(applyLatencies),
    ackLatencies: Float64Array.from(ackLatencies),
    ackSentAt: Float64Array.from(ackSentAt),
    redisLatencies: Float64Array.from(redisLatencies),
    afterRedisLatencies: Float64Array.from(afterRedisLatencies),
    redisMessages: redisHeard.messages,
    redisBytes: redisHeard.bytes,
    scheduleLagP99: lags.length ? percentile(lags, 99) : 0,
    errors,
    lastError,
  };
}

// ── fan-out: one group, one sender ─────────────────────────────────────────

let groupSender: RawClient | null = null;
let groupId = "";
let receipts: Record<string, number[]> = {};
/** clientMsgId → the members that have it: a copy re-pushed (retransmission) is a repeat, not another member's arrival. */
let arrived = new Map<string, Set<number>>();
let repeats = 0;

async function setupFanout(s: Extract<WorkerSetup, { kind: "fanout" }>): Promise<{ failed: number; firstError: string | null }> {
  groupId = s.conversationId;
  let failed = 0;
  let firstError: string | null = null;
  const clients = await mapLimit(s.members, s.concurrency, async (m, member) => {
    try {
      await registerDevice(s.url, m);
      const c = new RawClient({
        url: s.url,
        target: "courier",
        ...m,
        onPush: (entries) => {
          const at = epochNow();
          for (const e of entries) {
            if (e.k !== "msg") continue;
            const id = (e.data as { message?: { clientMsgId?: string } }).message?.clientMsgId;
            if (!id) continue;
            const members = arrived.get(id) ?? new Set<number>();
            arrived.set(id, members);
            if (members.has(member)) repeats++;
            else {
              members.add(member);
              (receipts[id] ??= []).push(at);
            }
          }
        },
      });
      closers.push(() => c.close());
      await c.connect();
      return c;
    } catch (error) {
      failed++;
      firstError ??= String(error);
      return null;
    }
  });
  if (s.sender) {
    await registerDevice(s.url, s.sender);
    groupSender = new RawClient({ url: s.url, target: "courier", ...s.sender });
    closers.push(() => groupSender?.close());
    await groupSender.connect();
  }
  const live = clients.filter((c) => c !== null).length;
  statusOf = () => ({ clients: s.members.length, online: live, hellos: live, refusals: 0 });
  return { failed, firstError };
}

async function runFanout(p: Extract<Phase, { kind: "fanout" }>): Promise<FanoutResult> {
  receipts = {};
  arrived = new Map();
  repeats = 0;
  const sends: Record<string, number> = {};
  const acks: Record<string, number> = {};
  let accepted = 0;
  let errors = 0;
  let lastError: string | null = null;
  const start = p.startAt - performance.timeOrigin;
  const sendingEnds = p.mode === "spaced" ? start + p.count * p.gapMs : start + p.durationMs;
  await sleepUntil(start);
  const sender = groupSender;
  if (sender) {
    const sendOne = (onDone?: () => void) => {
      const id = randomUUID();
      sends[id] = epochNow();
      sender.send(groupId, id, `fan-out ${id.slice(0, 8)}`, (ok) => {
        acks[id] = epochNow();
        if (ok) accepted++;
        else {
          errors++;
          lastError = sender.lastError;
        }
        onDone?.();
      });
    };
    if (p.mode === "saturate") {
      await new Promise<void>((resolve) => {
        let open = p.window;
        const loop = () => (performance.now() >= sendingEnds ? --open === 0 && resolve() : sendOne(loop));
        for (let w = 0; w < p.window; w++) loop();
      });
    } else {
      const gap = p.mode === "spaced" ? p.gapMs : 1000 / p.rate;
      for (let k = 0; performance.now() < sendingEnds && (p.mode !== "spaced" || k < p.count); k++) {
        await sleepUntil(start + k * gap);
        sendOne();
      }
    }
  }
  await sleepUntil(sendingEnds + p.drainMs);
  return { receipts, repeats, sends, acks, accepted, errors, lastError };
}

// ── idle connections ───────────────────────────────────────────────────────

async function setupIdle(s: Extract<WorkerSetup, { kind: "idle" }>): Promise<{ failed: number; firstError: string | null }> {
  const NodeClient = await loadNodeClient();
  let failed = 0;
  let firstError: string | null = null;
  const clients: NodeClient[] = [];
  await mapLimit(s.clients, s.concurrency, async (creds) => {
    const client = new NodeClient({ url: s.url, transport: s.transport, engine: false, ...creds });
    clients.push(client);
    closers.push(() => client.close());
    try {
      await client.start({ timeoutMs: 60_000 });
    } catch (error) {
      failed++;
      firstError ??= String(error);
    }
  });
  statusOf = () => ({
    clients: clients.length,
    online: clients.filter((c) => c.status === "online").length,
    hellos: clients.reduce((n, c) => n + c.hellos, 0),
    refusals: clients.reduce((n, c) => n + c.refusals.length, 0),
  });
  return { failed, firstError };
}

// ── plumbing ───────────────────────────────────────────────────────────────

async function registerDevice(url: string, c: ClientCreds): Promise<void> {
  const res = await fetch(`${url}/api/devices/${c.deviceId}`, {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: `Bearer ${c.token}`, "x-device-id": c.deviceId },
    body: JSON.stringify({ protocol: 1, capabilities: ["ack"], userAgent: "courier-bench" }),
  });
  if (!res.ok) throw new Error(`device registration: ${res.status} ${await res.text()}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
async function sleepUntil(perfTime: number): Promise<void> {
  const wait = perfTime - performance.now();
  if (wait > 0) await sleep(wait);
}

function reply(message: WorkerMessage): void {
  process.send?.(message);
}

process.on("message", (message: ParentMessage) => {
  void (async () => {
    try {
      if (message.type === "setup") {
        setup = message.setup;
        const t0 = performance.now();
        const outcome =
          setup.kind === "chat" ? await setupChat(setup) : setup.kind === "fanout" ? await setupFanout(setup) : await setupIdle(setup);
        if (setup.kind === "chat") {
          const n = chatPairs.length;
          statusOf = () => ({ clients: n * 2, online: n * 2, hellos: n * 2, refusals: 0 });
        }
        reply({ type: "ready", connectMs: performance.now() - t0, ...outcome });
      } else if (message.type === "run") {
        const p = message.phase;
        const result = p.kind === "chat" ? await runChat(p) : p.kind === "fanout" ? await runFanout(p) : statusOf();
        reply({ type: "result", result });
      } else {
        for (const close of closers) {
          try {
            close();
          } catch {
            // closing anyway
          }
        }
        closers = [];
        setTimeout(() => process.exit(0), 100);
      }
    } catch (error) {
      reply({ type: "error", error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  })();
});
process.on("disconnect", () => process.exit(0));
