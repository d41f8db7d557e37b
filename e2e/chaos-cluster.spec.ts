import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { APIRequestContext, APIResponse, Page } from "@playwright/test";
import { seeded, shuffle } from "../shared/sync/testing.js";
import { bubbleTexts, expect, openConversation, signIn, signUp, startDirectChat, test } from "./fixtures.js";
import { type CourierCluster, startCluster } from "./support/cluster.js";

/**
 * The chaos suite's cluster run: two server processes on PostgreSQL + Redis
 * behind the test balancer (e2e/support/cluster.ts), three devices of the
 * real app in Chromium on mixed transports, a long conversation, and faults
 * of every kind spread over it:
 *
 *   kill      SIGKILL a process (alternately 1 and 2), then start it again
 *             on its port; its clients reconnect to the other through the
 *             balancer meanwhile
 *   redis     Redis stopped, and started again (empty) on its port 1.5 s later
 *   ws-cut    every connection of the WebSocket device dropped at the balancer
 *   sse-end   every SSE stream ended by the servers (as for a dead link)
 *   poll-502  the balancer answers the long-poll device's polls 502 for 3 s
 *
 * Devices: Alice on WebSocket through the listener that prefers process 1,
 * Bob on SSE through the one that prefers process 2, Bob's second device
 * long-polling through the round-robin listener (its polls alternate between
 * processes). Every message crosses processes for someone.
 *
 * A thousand messages cannot be typed into three pages in minutes on two
 * cores, so each device's messages are sent the way its outbox sends them,
 * by protocol from the test: over HTTP through the device's own listener
 * and session, one at a time in order, and again with the same clientMsgId
 * after any failure (a refused or cut connection, a 5xx). The pages are the
 * receivers: the app's sync engine on every transport, with the
 * conversation list on screen while the run lasts (typing through the UI
 * across a kill is e2e/cluster.spec.ts).
 *
 * Afterwards every device holds every message exactly once (read from its
 * IndexedDB), in one order shared by all and by the server's history, each
 * sender's in the order sent; the open conversation shows the newest of
 * them. Recovery per fault: from the fault (a process's death, Redis gone,
 * the cut, the end of the 502 burst) until a probe message sent at that
 * moment, by each device in turn, is stored on every device. Kills also
 * report how long the process took to answer again, after which its devices
 * are moved back to it (so faults keep finding messages crossing processes).
 * The report goes to the console and test-results/chaos-cluster-<seed>.json.
 *
 * CHAOS_SEEDS=1,2 runs more seeds; CHAOS_CLUSTER_MESSAGES and
 * CHAOS_CLUSTER_FAULTS (per kind) scale it.
 */
const SEEDS = (process.env.CHAOS_SEEDS ?? "1").split(",").map(Number);
const MESSAGES = Number(process.env.CHAOS_CLUSTER_MESSAGES ?? 1000);
const PER_KIND = Number(process.env.CHAOS_CLUSTER_FAULTS ?? 5);
const KINDS = ["kill", "redis", "ws-cut", "sse-end", "poll-502"] as const;
type Kind = (typeof KINDS)[number];
const REDIS_DOWN_MS = 1_500;
const POLL_502_MS = 3_000;
/** One message every this many ms, from a device picked at random (10 a second). */
const INTERVAL_MS = 100;

let cluster: CourierCluster;
test.beforeAll(async () => {
  test.setTimeout(120_000);
  cluster = await startCluster({
    ownRedis: true,
    env: {
      FAULT_INJECTION: "1",
      // As in chaos.spec.ts: a short heartbeat and quick retransmission, so every recovery path runs within seconds.
      HEARTBEAT_MS: "4000",
      RETRY_BASE_MS: "500",
      RETRY_STEP_MS: "500",
      RETRY_MAX_MS: "2000",
      // The outboxes flush bursts after every outage.
      RATE_SEND_PER_10S: "0",
      LOG_LEVEL: "error",
    },
  });
});
test.afterAll(async () => {
  await cluster?.stop();
});

interface FaultRecord {
  kind: Kind;
  /** Message index it was injected before. */
  atMessage: number;
  /** When recovery is counted from: the fault (the end of the burst for poll-502); unset until then. */
  from?: number;
  target?: string;
  /** From `from` until a message sent then (the probe) was stored on every device. */
  recoveredMs?: number;
  /** The same per device. */
  perDeviceMs?: number[];
  /** The message recovery is measured on. */
  probe?: Outgoing;
  /** Kills: until the process answered again on its port. */
  restartedMs?: number;
  /** Kills: connections to the other process cut once it was back, so its devices return to it. */
  movedBack?: number;
  /** Live connections per process through each device's listener just before the fault. */
  placement?: Record<string, number[]>;
}

interface Outgoing {
  clientMsgId: string;
  body: string;
  sender: string;
  queuedAt: number;
  attempts: number;
  message?: { id: string; seq: number };
}

/**
 * One device's sends as its outbox makes them: one at a time, oldest first,
 * over HTTP through the device's listener with its session cookie; a
 * failure that retrying can fix (no answer, 5xx, 429) is retried with the
 * same clientMsgId after a short pause, anything else fails the test.
 */
class ProtocolOutbox {
  private readonly queue: Outgoing[] = [];
  private running: Promise<void> | null = null;
  readonly failures = new Map<string, number>();

  constructor(
    readonly name: string,
    private readonly request: APIRequestContext,
    private readonly base: string,
    private readonly conversationId: string,
  ) {}

  enqueue(m: Outgoing): void {
    this.queue.push(m);
    this.running ??= this.drain().finally(() => (this.running = null));
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    for (let m = this.queue[0]; m; m = this.queue[0]) {
      m.attempts++;
      const why = await this.post(m);
      if (why === null) this.queue.shift();
      else {
        this.failures.set(why, (this.failures.get(why) ?? 0) + 1);
        await sleep(100 + Math.min(m.attempts, 8) * 100);
      }
    }
  }

  /** null when stored; otherwise why not (and it is retried). */
  private async post(m: Outgoing): Promise<string | null> {
    let res: APIResponse;
    try {
      res = await this.request.post(`${this.base}/api/messages`, {
        headers: { origin: this.base },
        data: { clientMsgId: m.clientMsgId, conversationId: this.conversationId, kind: "text", body: m.body },
        timeout: 10_000,
        failOnStatusCode: false,
      });
    } catch {
      return "no answer";
    }
    if (res.status() === 200 || res.status() === 201) {
      m.message = ((await res.json()) as { message: { id: string; seq: number } }).message;
      return null;
    }
    if (res.status() >= 500 || res.status() === 429) return `status ${res.status()}`;
    throw new Error(`${this.name}: send answered ${res.status()} ${await res.text()}`);
  }
}

interface Stored {
  seq: number;
  body: string;
  clientMsgId: string;
}

/** The conversation as the device stored it, in seq order. */
function storedOn(page: Page, conversationId: string): Promise<Stored[]> {
  return page.evaluate(async (id) => {
    const names = (await indexedDB.databases()).map((d) => d.name ?? "").filter((n) => n.startsWith("courier-") && n !== "courier-device");
    if (names.length !== 1) throw new Error(`expected one user database, found ${names.join(", ")}`);
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open(names[0]!);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const all = await new Promise<{ conversationId: string; seq: number; body: string; kind: string; clientMsgId: string }[]>((resolve, reject) => {
      const req = db.transaction("messages").objectStore("messages").getAll();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    db.close();
    return all
      .filter((m) => m.conversationId === id && m.kind === "text")
      .map((m) => ({ seq: m.seq, body: m.body, clientMsgId: m.clientMsgId }))
      .sort((a, b) => a.seq - b.seq);
  }, conversationId);
}

/**
 * Starts noting, in the page, when each message of the conversation is first
 * in its IndexedDB (epoch ms by clientMsgId, `window.__storedAt`): every
 * 50 ms it reads the messages above the highest seq held without a gap.
 */
function watchStored(page: Page, conversationId: string): Promise<void> {
  return page.evaluate(async (id) => {
    const names = (await indexedDB.databases()).map((d) => d.name ?? "").filter((n) => n.startsWith("courier-") && n !== "courier-device");
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open(names[0]!);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const storedAt: Record<string, number> = {};
    Object.assign(window, { __storedAt: storedAt });
    const above = new Set<number>();
    let floor = 0;
    const tick = () =>
      new Promise<void>((resolve) => {
        const range = IDBKeyRange.bound([id, floor + 1], [id, Infinity]);
        const req = db.transaction("messages").objectStore("messages").index("[conversationId+seq]").getAll(range);
        req.onsuccess = () => {
          const now = Date.now();
          for (const m of req.result as { seq: number; clientMsgId: string }[]) {
            storedAt[m.clientMsgId] ??= now;
            above.add(m.seq);
          }
          while (above.delete(floor + 1)) floor++;
          resolve();
        };
        req.onerror = () => resolve();
      });
    void (async () => {
      for (;;) {
        await tick();
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
  }, conversationId);
}

const storedTimes = (page: Page) => page.evaluate(() => (window as unknown as { __storedAt: Record<string, number> }).__storedAt);

/** Pairs of a sender's consecutive messages (as sent) that a list holds the other way round. */
function outOfOrder(sentBySender: string[], held: string[]): number {
  const position = new Map(held.map((t, i) => [t, i]));
  let n = 0;
  for (let i = 1; i < sentBySender.length; i++) {
    const a = position.get(sentBySender[i - 1]!);
    const b = position.get(sentBySender[i]!);
    if (a !== undefined && b !== undefined && a > b) n++;
  }
  return n;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const summary = (ms: number[]) => ({
  recoveredMs: ms,
  maxMs: ms.length ? Math.max(...ms) : null,
  meanMs: ms.length ? Math.round(ms.reduce((a, b) => a + b, 0) / ms.length) : null,
});

for (const seed of SEEDS) {
  test(`cluster chaos (seed ${seed}): ${MESSAGES} messages, ${PER_KIND * KINDS.length} faults, every message on every device exactly once, in order`, async ({ browser }, testInfo) => {
    test.setTimeout(600_000);
    const random = seeded(seed);
    const [toOne, toTwo] = cluster.prefer as [(typeof cluster.prefer)[0], (typeof cluster.prefer)[0]];
    const roundRobin = cluster.roundRobin;
    const alice = await signUp(browser, "alice", "Alice Cluster Chaos", "ws", { baseURL: toOne.url });
    const bob = await signUp(browser, "bob", "Bob Cluster Chaos", "sse", { baseURL: toTwo.url });
    const bobPoll = await signIn(browser, bob, "poll", { baseURL: roundRobin.url });
    await startDirectChat(alice, bob);
    const conversationId = (await alice.page.getByTestId("conversation").getAttribute("data-conversation-id"))!;
    expect(conversationId).toBeTruthy();
    // The run is watched from the conversation list (the open conversation is checked at the end).
    await alice.page.getByRole("navigation", { name: "Sections" }).getByRole("button", { name: "Chats" }).click();
    await expect(alice.page.getByTestId("conversation")).toHaveCount(0);
    const devices = [
      { name: "alice/ws", person: alice, listener: toOne },
      { name: "bob/sse", person: bob, listener: toTwo },
      { name: "bob/poll", person: bobPoll, listener: roundRobin },
    ].map((d) => ({ ...d, outbox: new ProtocolOutbox(d.name, d.person.context.request, d.listener.url, conversationId) }));
    const pages = devices.map((d) => d.person.page);
    for (const page of pages) await watchStored(page, conversationId);
    const sent: Outgoing[] = [];
    // Recovery is measured on a probe: a message sent the moment a fault begins, by each device in turn, on a
    // queue of its own (so it waits behind no backlog of the device's other sends).
    const probes = devices.map((d) => new ProtocolOutbox(`${d.name} probe`, d.person.context.request, d.listener.url, conversationId));
    const begin = (record: FaultRecord) => {
      const from = (record.from = Date.now());
      const n = faults.filter((f) => f.probe).length;
      const outbox = probes[n % probes.length]!;
      record.probe = { clientMsgId: crypto.randomUUID(), body: `probe ${n} (${record.kind})`, sender: outbox.name, queuedAt: from, attempts: 0 };
      sent.push(record.probe);
      outbox.enqueue(record.probe);
      return from;
    };

    // Faults: PER_KIND of each kind, shuffled, one per slot of the run at a jittered point.
    const kinds = shuffle(
      KINDS.flatMap((k) => Array.from({ length: PER_KIND }, () => k)),
      random,
    );
    const slot = (MESSAGES - 20) / kinds.length;
    const plan = new Map<number, Kind>(kinds.map((k, i) => [10 + Math.floor(i * slot + random() * slot * 0.5), k]));
    const faults: FaultRecord[] = [];
    const background: Promise<void>[] = [];
    // Kills and Redis restarts one at a time: the next waits until the last is over.
    let outage: Promise<void> = Promise.resolve();
    let kills = 0;
    const placement = () => Object.fromEntries(devices.map((d) => [d.name, d.listener.live()]));
    const inject = (kind: Kind, atMessage: number): Promise<void> => {
      const record: FaultRecord = { kind, atMessage };
      faults.push(record);
      if (kind !== "kill" && kind !== "redis") record.placement = placement();
      switch (kind) {
        case "kill": {
          const which = kills++ % 2;
          const proc = cluster.processes[which]!;
          record.target = `process ${which + 1}`;
          outage = outage.then(async () => {
            record.placement = placement();
            await proc.kill("SIGKILL");
            // Counted from its death; it starts again on its port meanwhile.
            const at = begin(record);
            await proc.restart();
            record.restartedMs = Date.now() - at;
            // Its devices moved to the other process; they are sent back (as a balancer draining the other would), so
            // the next faults find every message crossing processes again.
            record.movedBack = cluster.prefer[which]!.cut(1 - which);
          });
          return outage;
        }
        case "redis": {
          outage = outage.then(async () => {
            record.placement = placement();
            await cluster.redis!.pause!();
            // Counted from when it is gone.
            begin(record);
            await sleep(REDIS_DOWN_MS);
            await cluster.redis!.resume!();
          });
          return outage;
        }
        case "ws-cut":
          record.target = `${toOne.cut()} connections`;
          begin(record);
          return Promise.resolve();
        case "sse-end":
          return Promise.all(
            cluster.processes.map((p) =>
              fetch(`${p.url}/api/faults/close`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ transport: "sse" }) })
                .then((res) => (res.ok ? (res.json() as Promise<{ closed: number }>).then((b) => b.closed) : 0))
                // A process restarting holds no streams.
                .catch(() => 0),
            ),
          ).then((closed) => {
            record.target = `${closed.reduce((a, b) => a + b, 0)} streams`;
            begin(record);
          });
        case "poll-502": {
          const before = roundRobin.failed;
          roundRobin.failRequests(/^\/api\/poll\b/);
          roundRobin.cut();
          return sleep(POLL_502_MS).then(() => {
            roundRobin.failRequests(null);
            record.target = `${roundRobin.failed - before} polls answered 502`;
            begin(record);
          });
        }
      }
    };

    const started = Date.now();
    // MESSAGES, and on until every fault has begun (kills and Redis restarts wait for each other).
    const waiting = () => faults.length < plan.size || faults.some((f) => f.from === undefined);
    let typed = 0;
    for (let i = 0; i < MESSAGES || waiting(); i++, typed++) {
      const kind = plan.get(i);
      if (kind) background.push(inject(kind, i));
      const r = random();
      const device = devices[r < 0.45 ? 0 : r < 0.8 ? 1 : 2]!;
      const m: Outgoing = { clientMsgId: crypto.randomUUID(), body: `c${String(i).padStart(4, "0")} ${device.name}`, sender: device.name, queuedAt: Date.now(), attempts: 0 };
      sent.push(m);
      device.outbox.enqueue(m);
      await sleep(started + (i + 1) * INTERVAL_MS - Date.now());
      if (i % 100 === 99) console.info(`cluster chaos: ${i + 1} sent, ${faults.length} faults so far, ${Math.round((Date.now() - started) / 1000)} s`);
    }
    await Promise.all([...devices.map((d) => d.outbox), ...probes].map((o) => o.idle()));
    const sendingMs = Date.now() - started;
    await Promise.all(background);

    // The server stored each send once, in each sender's order.
    const history: Stored[] = [];
    for (let before: number | undefined; ; ) {
      const res = await alice.context.request.get(`${toOne.url}/api/conversations/${conversationId}/messages?limit=100${before ? `&before=${before}` : ""}`);
      const page = ((await res.json()) as { messages: Stored[] }).messages;
      history.unshift(...page);
      if (page.length < 100) break;
      before = page[0]!.seq;
    }
    const expected = sent.map((m) => m.body);
    expect(history.map((m) => m.body).sort()).toEqual([...expected].sort());
    expect(history.map((m) => m.seq)).toEqual(history.map((_, i) => i + 1));

    // Every device ends with every message (more than the screen shows: read from what it stored).
    for (const page of pages) {
      await expect.poll(async () => (await storedOn(page, conversationId)).length, { timeout: 120_000, intervals: [500] }).toBeGreaterThanOrEqual(expected.length);
    }
    const convergedMs = Date.now() - started - sendingMs;
    const held = (await Promise.all(pages.map((p) => storedOn(p, conversationId)))).map((list) => list.map((m) => m.body));
    const stored = await Promise.all(pages.map(storedTimes));
    for (const f of faults) {
      f.perDeviceMs = stored.map((times) => times[f.probe!.clientMsgId]! - f.from!);
      f.recoveredMs = Math.max(...f.perDeviceMs);
    }

    const byKind = Object.fromEntries(KINDS.map((k) => [k, { count: faults.filter((f) => f.kind === k).length, ...summary(faults.filter((f) => f.kind === k && f.recoveredMs !== undefined).map((f) => f.recoveredMs!)) }]));
    const metrics = await Promise.all(cluster.processes.map((p) => fetch(`${p.url}/api/faults/metrics`).then((r) => r.json() as Promise<{ delivery: unknown }>)));
    const senders = [...new Set(sent.map((m) => m.sender))];
    const report = {
      seed,
      messages: sent.length,
      probes: faults.length,
      faults: faults.length,
      sendingMs,
      convergedAfterSendingMs: convergedMs,
      resent: [...devices.map((d) => d.outbox), ...probes].map((o) => ({ sender: o.name, retries: Object.fromEntries(o.failures) })),
      devices: devices.map((d, i) => {
        const texts = held[i]!;
        return {
          device: d.name,
          stored: texts.length,
          lost: expected.filter((t) => !texts.includes(t)).length,
          duplicated: texts.length - new Set(texts).size,
          reordered: senders.reduce((count, sender) => count + outOfOrder(sent.filter((m) => m.sender === sender).map((m) => m.body), texts), 0),
          sameOrderAsServer: JSON.stringify(texts) === JSON.stringify(history.map((m) => m.body)),
        };
      }),
      recoveryByKind: byKind,
      faultLog: faults.map(({ probe: _, from: __, ...f }) => f),
      delivery: metrics.map((m) => m.delivery),
    };
    const file = path.join(testInfo.project.outputDir, `chaos-cluster-${seed}.json`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    await testInfo.attach("chaos-cluster", { path: file, contentType: "application/json" });
    console.info(
      `cluster chaos (seed ${seed}): ${report.messages} messages, ${report.faults} faults, sent in ${Math.round(sendingMs / 1000)} s, on every device ${convergedMs} ms later; ` +
        report.devices.map((d) => `${d.device} lost ${d.lost} duplicated ${d.duplicated} reordered ${d.reordered}`).join("; ") +
        `; recovery ms (max/mean): ${KINDS.map((k) => `${k} ${byKind[k]!.maxMs}/${byKind[k]!.meanMs}`).join(", ")}; report in ${file}`,
    );

    // By default 1,000 messages (and any sent while the last faults began, and the probes) and 25 faults (the issue asks for at least 1,000 and 20).
    expect(typed).toBeGreaterThanOrEqual(MESSAGES);
    expect(faults.length).toBe(PER_KIND * KINDS.length);
    for (const d of report.devices) expect(d).toMatchObject({ stored: expected.length, lost: 0, duplicated: 0, reordered: 0, sameOrderAsServer: true });
    // The open conversation shows the newest of them, in the same order.
    for (const [i, { person }] of devices.entries()) {
      await openConversation(person.page, i === 0 ? "Bob Cluster Chaos" : "Alice Cluster Chaos");
      await expect.poll(() => bubbleTexts(person.page)).toEqual(held[0]!.slice(-100));
      await person.context.close();
    }
  });
}
