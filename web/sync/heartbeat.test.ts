import { beforeEach, describe, expect, it } from "vitest";
import { LIVENESS_MISSES } from "../../shared/protocol/index.js";
import { FakeClock, settle } from "./fake-clock.js";
import { HEARTBEAT_TIMINGS, Heartbeat, type HeartbeatOptions } from "./heartbeat.js";

const H = 10_000;
const { burstGapMs, minIntervalMs } = HEARTBEAT_TIMINGS;
/** A burst ping's answer is owed within this. */
const BURST_WINDOW = LIVENESS_MISSES * Math.max(burstGapMs, minIntervalMs);

/** The other side, as the heartbeat sees it through `ping`. */
interface Peer {
  /** When each ping was sent. */
  sent: number[];
  /** Each ping's timeout. */
  timeouts: number[];
  /** "answer": resolves true at once; "silent": never settles; "fail": rejects; "elsewhere": answered over another link (false). */
  mode: "answer" | "silent" | "fail" | "elsewhere";
  /** Answers come this late (ms on the fake clock). */
  delayMs: number;
  dead: number[];
}

let clock: FakeClock;
let peer: Peer;

function heartbeat(opts: Partial<HeartbeatOptions> = {}): Heartbeat {
  return new Heartbeat({
    heartbeatMs: H,
    clock,
    ping: (timeoutMs) => {
      peer.sent.push(clock.now());
      peer.timeouts.push(timeoutMs);
      switch (peer.mode) {
        case "silent":
          return new Promise<boolean>(() => {});
        case "fail":
          return Promise.reject(new Error("timed out"));
        case "elsewhere":
          return Promise.resolve(false);
        case "answer":
          if (peer.delayMs === 0) return Promise.resolve(true);
          return new Promise<boolean>((resolve) => clock.setTimeout(() => resolve(true), peer.delayMs));
      }
    },
    onDead: (silentMs) => peer.dead.push(silentMs),
    ...opts,
  });
}

beforeEach(() => {
  clock = new FakeClock(0);
  peer = { sent: [], timeouts: [], mode: "answer", delayMs: 0, dead: [] };
});

describe("Heartbeat: when it pings", () => {
  it("after hello: a burst of three pings a second apart, then one every H/2 while visible", async () => {
    const hb = heartbeat();
    hb.start();
    await clock.advanceAsync(2 * H);
    expect(peer.sent).toEqual([0, 1_000, 2_000, 7_000, 12_000, 17_000]);
    expect(hb.intervalMs).toBe(H / 2);
    expect(peer.dead).toEqual([]);
  });

  it("hidden: one every H, counted from the last ping; visible again: H/2 from the last ping", async () => {
    const hb = heartbeat();
    hb.start();
    await clock.advanceAsync(2_000); // the burst
    hb.setHidden(true);
    expect(hb.intervalMs).toBe(H);
    await clock.advanceAsync(25_000); // to 27 000
    expect(peer.sent).toEqual([0, 1_000, 2_000, 12_000, 22_000]);
    hb.setHidden(false);
    await clock.advanceAsync(10_000); // to 37 000
    expect(peer.sent.slice(5)).toEqual([27_000, 32_000, 37_000]);
  });

  it("starts hidden when told so at hello", async () => {
    const hb = heartbeat({ hidden: true });
    hb.start();
    await clock.advanceAsync(2_000 + H);
    expect(peer.sent).toEqual([0, 1_000, 2_000, 12_000]);
  });

  it("pingNow() (page visible, browser online) pings at once and bursts again; not twice during one burst", async () => {
    const hb = heartbeat();
    hb.start();
    await clock.advanceAsync(4_000);
    hb.pingNow();
    expect(peer.sent.at(-1)).toBe(4_000);
    hb.pingNow(); // a burst is under way
    await clock.advanceAsync(2_000);
    expect(peer.sent).toEqual([0, 1_000, 2_000, 4_000, 5_000, 6_000]);
    await clock.advanceAsync(H / 2);
    expect(peer.sent.at(-1)).toBe(6_000 + H / 2);
  });

  it("gives each ping the window it has to be answered in as its timeout", async () => {
    const hb = heartbeat();
    hb.start();
    await clock.advanceAsync(7_000);
    expect(peer.timeouts).toEqual([BURST_WINDOW, BURST_WINDOW, BURST_WINDOW, LIVENESS_MISSES * (H / 2)]);
  });
});

describe("Heartbeat: when the link is dead", () => {
  it("a link that dies at once (no answer to the burst) is dead within seconds, not after H", async () => {
    peer.mode = "silent";
    const hb = heartbeat();
    hb.start();
    await clock.advanceAsync(BURST_WINDOW - 1);
    expect(peer.dead).toEqual([]);
    await clock.advanceAsync(1);
    expect(peer.dead).toEqual([BURST_WINDOW]);
    expect(hb.active).toBe(false);
    expect(clock.pending).toBe(0); // nothing left running
  });

  it(`visible: dead after ${LIVENESS_MISSES} × H/2 without a sign of life`, async () => {
    const hb = heartbeat();
    hb.start();
    await clock.advanceAsync(3_000); // the burst, answered: last sign at 2 000
    peer.mode = "silent";
    await clock.advanceAsync(2_000 + LIVENESS_MISSES * (H / 2) - 3_000 - 1);
    expect(peer.dead).toEqual([]);
    await clock.advanceAsync(1);
    expect(peer.dead).toEqual([LIVENESS_MISSES * (H / 2)]);
    expect(hb.deadAfterMs).toBe(LIVENESS_MISSES * (H / 2));
  });

  it(`hidden: dead after ${LIVENESS_MISSES} × H`, async () => {
    const hb = heartbeat();
    hb.start();
    await clock.advanceAsync(2_000);
    hb.setHidden(true);
    peer.mode = "silent";
    await clock.advanceAsync(LIVENESS_MISSES * H - 1);
    expect(peer.dead).toEqual([]);
    await clock.advanceAsync(1);
    expect(peer.dead).toEqual([LIVENESS_MISSES * H]);
  });

  it("hiding the page while silent moves the deadline out; showing it brings it back", async () => {
    const hb = heartbeat();
    hb.start();
    await clock.advanceAsync(2_000);
    peer.mode = "silent";
    hb.setHidden(true);
    await clock.advanceAsync(15_000); // 17 000: past 2 000 + H, within 2 000 + 2H
    expect(peer.dead).toEqual([]);
    hb.setHidden(false); // the visible window has run out already
    await clock.advanceAsync(0);
    expect(peer.dead).toEqual([15_000]);
  });

  it("any sign of life resets the dead timer, with or without ping answers", async () => {
    peer.mode = "silent";
    const hb = heartbeat();
    hb.start();
    for (let t = 0; t < 60_000; t += 3_000) {
      await clock.advanceAsync(3_000);
      hb.alive(); // a push, socket.io's own ping…
    }
    expect(peer.dead).toEqual([]);
    await clock.advanceAsync(LIVENESS_MISSES * (H / 2));
    expect(peer.dead).toEqual([LIVENESS_MISSES * (H / 2)]);
  });

  it("a ping that fails or times out is no sign of life", async () => {
    peer.mode = "fail";
    const hb = heartbeat();
    hb.start();
    await clock.advanceAsync(BURST_WINDOW);
    expect(peer.dead).toEqual([BURST_WINDOW]);
  });

  it("a ping that throws at once (not connected) is no sign of life either, and does not break the rhythm", async () => {
    const hb = new Heartbeat({
      heartbeatMs: H,
      clock,
      ping: () => {
        peer.sent.push(clock.now());
        throw new Error("not connected");
      },
      onDead: (silentMs) => peer.dead.push(silentMs),
    });
    hb.start();
    await clock.advanceAsync(BURST_WINDOW);
    expect(peer.sent).toEqual([0, 1_000, 2_000]);
    expect(peer.dead).toEqual([BURST_WINDOW]);
  });

  it("a link that dies later is found soon after pingNow() (visible, online) rather than after the full window", async () => {
    const hb = heartbeat();
    hb.start();
    await clock.advanceAsync(4_000); // healthy; last sign at 2 000
    peer.mode = "silent"; // the laptop changed networks
    hb.pingNow();
    await clock.advanceAsync(BURST_WINDOW);
    expect(peer.dead).toEqual([4_000 + BURST_WINDOW - 2_000]);
    expect(4_000 + BURST_WINDOW).toBeLessThan(2_000 + hb.deadAfterMs);
  });

  it("a slow link (answers 3 s late) is not declared dead by the burst", async () => {
    peer.delayMs = 3_000;
    const hb = heartbeat();
    hb.start();
    await clock.advanceAsync(60_000);
    expect(peer.dead).toEqual([]);
  });

  it(`SSE: a ping answered over another request proves nothing; dead after ${LIVENESS_MISSES} × max(interval, H)`, async () => {
    peer.mode = "elsewhere";
    const hb = heartbeat({ serverIntervalMs: H });
    hb.start();
    await clock.advanceAsync(LIVENESS_MISSES * H - 1);
    expect(peer.dead).toEqual([]);
    expect(peer.sent.length).toBeGreaterThan(3); // pinging all along: the server wants to hear from us
    await clock.advanceAsync(1);
    expect(peer.dead).toEqual([LIVENESS_MISSES * H]);
  });

  it("SSE: the server's ping events keep the stream alive, hidden too", async () => {
    peer.mode = "elsewhere";
    const hb = heartbeat({ serverIntervalMs: H, hidden: true });
    hb.start();
    for (let t = 0; t < 10 * H; t += H) {
      await clock.advanceAsync(H);
      hb.alive();
    }
    expect(peer.dead).toEqual([]);
  });

  it("stop() ends it all: no more pings, no dead call, late answers ignored", async () => {
    peer.delayMs = 500;
    const hb = heartbeat();
    hb.start();
    hb.stop();
    await clock.advanceAsync(10 * H);
    expect(peer.sent).toEqual([0]);
    expect(peer.dead).toEqual([]);
    expect(clock.pending).toBe(0);
    hb.alive();
    hb.pingNow();
    hb.setHidden(true);
    await settle();
    expect(peer.sent).toEqual([0]);
    expect(clock.pending).toBe(0);
  });
});
