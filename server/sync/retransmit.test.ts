import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DOMAINS, type Domain, type Entry, type PullResponse, type TransportName, type Versions, zeroVersions } from "../../shared/protocol/index.js";
import type { StoredDevice } from "../storage/storage.js";
import { DeliveryMetrics } from "./delivery-metrics.js";
import { type Connection, Hub } from "./hub.js";
import type { HandOverReason } from "./offline-channel.js";
import { lastStep, REPUSH_PAGE_MAX, retryDelay, type RetrySchedule, Retransmitter, stepFor } from "./retransmit.js";

const SCHEDULE: RetrySchedule = { baseMs: 1000, stepMs: 1000, maxMs: 4000, lifetimeMs: 20_000 };
const USER = "u1";

interface FakeConn {
  conn: Connection;
  pushed: Entry[][];
  /** Each re-push with the (fake) time it happened. */
  repushed: { at: number; entries: Entry[] }[];
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The retransmitter wired to a real hub, with storage in memory: one user's
 * domains, device rows and acks. Time is vitest's fake clock.
 */
function world(schedule: RetrySchedule = SCHEDULE) {
  const hub = new Hub();
  const log: Record<Domain, Entry[]> = { chat: [], system: [], marketing: [] };
  const devices = new Map<string, StoredDevice>();
  const acks = new Map<string, Versions>();
  const handOvers: [string, string, HandOverReason][] = [];
  const warnings: { obj: object; msg: string }[] = [];
  const reads = { acks: 0, pulls: 0, devices: 0 };
  let ackGate: Promise<void> | null = null;
  let lookupGate: Promise<void> | null = null;
  const storage = {
    getDevice: async (id: string) => {
      reads.devices++;
      if (lookupGate) await lookupGate;
      return devices.get(id) ?? null;
    },
    deviceAcks: async (_userId: string, id: string) => {
      reads.acks++;
      if (ackGate) await ackGate;
      return { ...(acks.get(id) ?? zeroVersions()) };
    },
    pull: async (_userId: string, d: Domain, after: number, limit: number): Promise<PullResponse> => {
      reads.pulls++;
      return { d, entries: log[d].filter((e) => e.v > after).slice(0, limit), head: log[d].length, reset: false };
    },
  };
  const metrics = new DeliveryMetrics();
  const rt = new Retransmitter({
    storage,
    hub,
    offline: () => ({ appended: () => undefined, handOver: (u, d, reason) => void handOvers.push([u, d, reason]) }),
    metrics,
    schedule,
    clock: () => Date.now(),
    log: { warn: (obj, msg) => void warnings.push({ obj, msg }) },
  });
  hub.observe(rt);

  let ids = 0;
  return {
    hub,
    rt,
    metrics,
    handOvers,
    warnings,
    reads,
    device(id: string, capabilities: string[] = ["ack"]) {
      devices.set(id, { id, userId: USER, sessionId: null, userAgent: null, capabilities, notification: null, push: false, lastSeen: 0, registeredAt: 0 });
    },
    connect(deviceId: string, transport: TransportName = "ws", sessionId = "s1"): FakeConn {
      const pushed: Entry[][] = [];
      const repushed: FakeConn["repushed"] = [];
      const conn: Connection = {
        id: `c${++ids}`,
        userId: USER,
        deviceId,
        sessionId,
        transport,
        push: (entries) => void pushed.push(entries),
        close: () => undefined,
        ...(transport === "poll"
          ? {}
          : {
              repush: (entries: Entry[]) => {
                repushed.push({ at: Date.now(), entries });
                return entries.length;
              },
            }),
      };
      hub.add(conn);
      return { conn, pushed, repushed };
    },
    /** Appends `n` entries to a domain and publishes them, as a feature does after its commit. */
    append(d: Domain, n = 1) {
      const entries = Array.from({ length: n }, (_, i): Entry => ({ d, v: log[d].length + i + 1, k: "notice", at: Date.now(), data: { secret: "body text" } }));
      log[d].push(...entries);
      hub.publish([{ userId: USER, entries }]);
    },
    /** An ack applied in this process (what service.ack does). */
    ack(deviceId: string, versions: Partial<Versions>) {
      const next = { ...(acks.get(deviceId) ?? zeroVersions()) };
      for (const d of DOMAINS) next[d] = Math.max(next[d], versions[d] ?? 0);
      acks.set(deviceId, next);
      rt.acked(USER, deviceId, next);
    },
    /** An ack applied by another server process: only storage knows. */
    ackElsewhere(deviceId: string, versions: Partial<Versions>) {
      acks.set(deviceId, { ...zeroVersions(), ...versions });
    },
    holdAckReads() {
      const gate = deferred<void>();
      ackGate = gate.promise;
      return () => {
        ackGate = null;
        gate.resolve();
      };
    },
    holdLookups() {
      const gate = deferred<void>();
      lookupGate = gate.promise;
      return () => {
        lookupGate = null;
        gate.resolve();
      };
    },
  };
}

const versionsOf = (c: FakeConn) => c.repushed.map((r) => r.entries.map((e) => `${e.d}:${e.v}`));
const times = (c: FakeConn) => c.repushed.map((r) => r.at);
/** Lets promise callbacks (storage reads) run without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("retry schedule", () => {
  it("waits the base delay three times, then one step more per try, capped at the maximum", () => {
    expect(Array.from({ length: 9 }, (_, i) => retryDelay(SCHEDULE, i))).toEqual([1000, 1000, 1000, 2000, 3000, 4000, 4000, 4000, 4000]);
    expect(lastStep(SCHEDULE)).toBe(5);
    const defaults = { baseMs: 2000, stepMs: 2000, maxMs: 30_000, lifetimeMs: 300_000 };
    expect(retryDelay(defaults, lastStep(defaults))).toBe(30_000);
    expect(retryDelay(defaults, lastStep(defaults) - 1)).toBe(28_000);
  });

  it("maps an observed ack time to the smallest step at or above it", () => {
    expect(stepFor(SCHEDULE, 0)).toBe(0);
    expect(stepFor(SCHEDULE, 1000)).toBe(0);
    expect(stepFor(SCHEDULE, 1001)).toBe(3);
    expect(stepFor(SCHEDULE, 2500)).toBe(4);
    expect(stepFor(SCHEDULE, 4000)).toBe(5);
    expect(stepFor(SCHEDULE, 60_000)).toBe(5);
  });

  it("is flat when the step is zero", () => {
    const flat = { baseMs: 500, stepMs: 0, maxMs: 5000, lifetimeMs: 10_000 };
    expect([0, 3, 10].map((i) => retryDelay(flat, i))).toEqual([500, 500, 500]);
    expect(stepFor(flat, 4000)).toBe(0);
  });
});

describe("Retransmitter", () => {
  it("re-pushes unacked entries on schedule until the lifetime, then gives up: counted, logged without content, handed over", async () => {
    const w = world();
    w.device("d1");
    const c = w.connect("d1");
    await settle();
    w.append("chat", 2);
    expect(c.pushed).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(SCHEDULE.lifetimeMs + 10_000);

    expect(times(c)).toEqual([1000, 2000, 3000, 5000, 8000, 12_000, 16_000]);
    expect(versionsOf(c).every((v) => v.join() === "chat:1,chat:2")).toBe(true);
    expect(w.handOvers).toEqual([[USER, "d1", "gave_up"]]);
    expect(w.metrics.snapshot()).toMatchObject({ pushes: 1, entriesPushed: 2, retries: 7, entriesRepushed: 14, giveUps: 1, handOvers: 1 });
    expect(w.warnings).toHaveLength(1);
    expect(w.warnings[0]!.obj).toMatchObject({ userId: USER, deviceId: "d1", unacked: { chat: 2, system: 0, marketing: 0 } });
    expect(JSON.stringify(w.warnings)).not.toContain("body text");
    expect(w.rt.waiting).toBe(0);

    // Given up: newer pushes are not retried until the device acks again.
    w.append("chat");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(c.repushed).toHaveLength(7);
    w.ack("d1", { chat: 1 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(versionsOf(c).at(-1)).toEqual(["chat:2", "chat:3"]);
  });

  it("stops once everything pushed is acked", async () => {
    const w = world();
    w.device("d1");
    const c = w.connect("d1");
    await settle();
    w.append("chat", 3);
    await vi.advanceTimersByTimeAsync(1500);
    expect(times(c)).toEqual([1000]);
    w.ack("d1", { chat: 3 });
    expect(w.rt.waiting).toBe(0);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(c.repushed).toHaveLength(1);
    expect(w.handOvers).toEqual([]);
    expect(w.metrics.snapshot()).toMatchObject({ retries: 1, entriesRepushed: 3, giveUps: 0 });
  });

  it("re-pushes only what is still unacked, after the acked version", async () => {
    const w = world();
    w.device("d1");
    const c = w.connect("d1");
    await settle();
    w.append("chat", 4);
    w.ack("d1", { chat: 2 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(versionsOf(c)).toEqual([["chat:3", "chat:4"]]);
  });

  it("re-pushes nothing an ack covers while that ack waits to be written, and no more than was pushed here", async () => {
    const w = world();
    w.device("d1");
    const c = w.connect("d1");
    await settle();
    w.append("chat", 4);
    // The device acks 3 (the ack queue holds it; storage still says 0), and claims far more of system than it was sent.
    w.rt.received(USER, "d1", { chat: 3, system: 99 });
    w.append("system", 2);
    await vi.advanceTimersByTimeAsync(1000);
    // chat:4 and the two system entries pushed after the claim are re-pushed; chat 1..3 are not.
    expect(versionsOf(c)).toEqual([["chat:4"], ["system:1", "system:2"]]);
    w.rt.received(USER, "d1", { chat: 4, system: 2 });
    expect(w.rt.waiting).toBe(0);
    const before = c.repushed.length;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(c.repushed).toHaveLength(before);
    // Another user naming this device id is not this device.
    w.append("chat", 1);
    w.rt.received("someone-else", "d1", { chat: 5 });
    expect(w.rt.waiting).toBe(1);
  });

  it("counts an ack that reached another server process: acks are read from storage at each try", async () => {
    const w = world();
    w.device("d1");
    const c = w.connect("d1");
    await settle();
    w.append("system", 2);
    w.ackElsewhere("d1", { system: 2 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(c.repushed).toEqual([]);
    expect(w.reads.acks).toBe(1);
    expect(w.rt.waiting).toBe(0);
  });

  it("waits for what was pushed when the round began; newer pushes get a round of their own", async () => {
    const w = world();
    w.device("d1");
    const c = w.connect("d1");
    await settle();
    w.append("chat"); // t=0, the round waits for chat:1
    await vi.advanceTimersByTimeAsync(900);
    w.append("chat"); // t=900, during the round
    await vi.advanceTimersByTimeAsync(50);
    w.ack("d1", { chat: 1 }); // t=950: the round is done; chat:2 starts a new one now
    await vi.advanceTimersByTimeAsync(990);
    expect(c.repushed).toEqual([]);
    await vi.advanceTimersByTimeAsync(10);
    expect(times(c)).toEqual([1950]);
    expect(versionsOf(c)).toEqual([["chat:2"]]);
  });

  it("starts the next round at the step that last saw an ack: later for a slow device, back to base for a fast one", async () => {
    const w = world();
    w.device("d1");
    const c = w.connect("d1");
    await settle();

    w.append("chat"); // round 1 at t=0: tries at 1000 and 2000, acked at 2500
    await vi.advanceTimersByTimeAsync(2500);
    w.ack("d1", { chat: 1 });
    expect(times(c)).toEqual([1000, 2000]);

    // Observed 2500 ms: the next round starts at the 3000 ms step, then 4000 (the cap).
    const round2 = Date.now();
    w.append("chat");
    await vi.advanceTimersByTimeAsync(7000);
    expect(times(c).slice(2).map((t) => t - round2)).toEqual([3000, 7000]);
    w.ack("d1", { chat: 2 }); // observed 7000: the longest step

    // A device that acks at once brings the schedule back to base.
    w.append("chat");
    await vi.advanceTimersByTimeAsync(100);
    w.ack("d1", { chat: 3 });
    const round4 = Date.now();
    w.append("chat");
    await vi.advanceTimersByTimeAsync(2000);
    expect(times(c).slice(4).map((t) => t - round4)).toEqual([1000, 2000]);
  });

  it("re-pushes only to the device's own WebSocket and SSE connections, never to long-poll", async () => {
    const w = world();
    w.device("d1");
    w.device("d2");
    const ws = w.connect("d1", "ws");
    const sse = w.connect("d1", "sse");
    const poll = w.connect("d1", "poll");
    const other = w.connect("d2", "ws");
    await settle();
    w.append("chat");
    w.ack("d2", { chat: 1 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(versionsOf(ws)).toEqual([["chat:1"]]);
    expect(versionsOf(sse)).toEqual([["chat:1"]]);
    expect(poll.repushed).toEqual([]);
    expect(other.repushed).toEqual([]);
    expect(w.metrics.snapshot()).toMatchObject({ pushes: 3, entriesPushed: 3, retries: 1, entriesRepushed: 2 });
  });

  it("never tracks a device that only long-polls", async () => {
    const w = world();
    w.device("d1");
    w.connect("d1", "poll");
    await settle();
    w.append("chat");
    await vi.advanceTimersByTimeAsync(30_000);
    expect(w.rt.size).toBe(0);
    expect(w.metrics.snapshot()).toMatchObject({ pushes: 0, retries: 0, giveUps: 0 });
  });

  it("re-pushes at most a page per domain, in priority order, read from storage", async () => {
    const w = world({ ...SCHEDULE, baseMs: 1000 });
    w.device("d1");
    const c = w.connect("d1");
    await settle();
    w.append("marketing", 1);
    w.append("chat", REPUSH_PAGE_MAX + 100);
    w.append("system", 2);
    await vi.advanceTimersByTimeAsync(1000);
    const first = c.repushed.map((r) => [r.entries[0]!.d, r.entries[0]!.v, r.entries.length]);
    expect(first).toEqual([
      ["chat", 1, REPUSH_PAGE_MAX],
      ["system", 1, 2],
      ["marketing", 1, 1],
    ]);
  });

  it("never retries a device without the ack capability, and looks again once such a device acks", async () => {
    const w = world();
    w.device("d1", []);
    const c = w.connect("d1");
    await settle();
    w.append("chat");
    await vi.advanceTimersByTimeAsync(30_000);
    expect(c.repushed).toEqual([]);

    // It registered `ack` after connecting (registration runs beside connecting).
    w.device("d1", ["ack"]);
    w.rt.registered(USER, "d1", ["ack"]);
    w.ack("d1", { chat: 1 });
    await settle();
    w.append("chat");
    await vi.advanceTimersByTimeAsync(1000);
    expect(versionsOf(c)).toEqual([["chat:2"]]);
  });

  it("re-reads the capabilities of a device that acks without declaring `ack` at most once a minute (its registration went to another process)", async () => {
    const w = world();
    w.device("d1", []);
    const c = w.connect("d1");
    await settle();
    const reads = () => w.reads.devices;
    const before = reads();
    for (let i = 0; i < 5; i++) w.ack("d1", { chat: 0 });
    await settle();
    expect(reads()).toBe(before);

    w.device("d1", ["ack"]); // registered elsewhere
    await vi.advanceTimersByTimeAsync(60_000);
    w.ack("d1", { chat: 0 });
    await settle();
    expect(reads()).toBe(before + 1);
    w.append("chat");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(versionsOf(c)).toEqual([["chat:1"]]);
  });

  it("tracks pushes made while the capability lookup runs", async () => {
    const w = world();
    w.device("d1");
    const release = w.holdLookups();
    const c = w.connect("d1");
    w.append("chat");
    await vi.advanceTimersByTimeAsync(500);
    release();
    await settle();
    await vi.advanceTimersByTimeAsync(1000);
    expect(times(c)).toEqual([1500]);
  });

  it("hands the device over when its last ws/sse connection here ends with pushes unacked", async () => {
    const w = world();
    w.device("d1");
    const a = w.connect("d1", "ws");
    const b = w.connect("d1", "sse");
    await settle();
    w.append("chat", 2);
    w.hub.remove(a.conn);
    await settle();
    expect(w.handOvers).toEqual([]);
    expect(w.rt.size).toBe(1);
    w.hub.remove(b.conn);
    await settle();
    expect(w.handOvers).toEqual([[USER, "d1", "disconnected"]]);
    expect(w.metrics.handOvers).toBe(1);
    expect(w.rt.size).toBe(0);
    await vi.advanceTimersByTimeAsync(30_000);
    expect([...a.repushed, ...b.repushed]).toEqual([]);
  });

  it("does not hand over a device whose pushes were acked (here or elsewhere), or that the server closed on purpose", async () => {
    const w = world();
    for (const d of ["d1", "d2", "d3", "d4"]) w.device(d);
    const acked = w.connect("d1");
    const ackedElsewhere = w.connect("d2");
    w.connect("d3", "ws", "s-logout");
    const dead = w.connect("d4", "sse");
    await settle();
    w.append("chat");
    w.ack("d1", { chat: 1 });
    w.ackElsewhere("d2", { chat: 1 });
    w.hub.remove(acked.conn);
    w.hub.remove(ackedElsewhere.conn);
    w.hub.closeWhere((c) => c.sessionId === "s-logout", "logout");
    await settle();
    expect(w.handOvers).toEqual([]);
    // Found dead (no sign of life) is a device gone missing.
    w.hub.closeWhere((c) => c === dead.conn, "dead");
    await settle();
    expect(w.handOvers).toEqual([[USER, "d4", "disconnected"]]);
    expect(w.rt.size).toBe(0);
  });

  it("does not hand over a device that reconnected while its acks were read", async () => {
    const w = world();
    w.device("d1");
    const first = w.connect("d1");
    await settle();
    w.append("chat");
    const release = w.holdAckReads();
    w.hub.remove(first.conn);
    w.connect("d1");
    release();
    await settle();
    expect(w.handOvers).toEqual([]);
  });

  it("ends a try quietly when the ack lands while it reads storage", async () => {
    const w = world();
    w.device("d1");
    const c = w.connect("d1");
    await settle();
    w.append("chat");
    const release = w.holdAckReads();
    await vi.advanceTimersByTimeAsync(1000); // the try is reading acks
    w.ack("d1", { chat: 1 });
    release();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(c.repushed).toEqual([]);
    expect(w.rt.waiting).toBe(0);
  });

  it("close() stops every timer: nothing is re-pushed or handed over afterwards", async () => {
    const w = world();
    w.device("d1");
    const c = w.connect("d1");
    await settle();
    w.append("chat");
    w.rt.close();
    w.hub.closeWhere(() => true, "shutdown");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(c.repushed).toEqual([]);
    expect(w.handOvers).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
