import { beforeEach, describe, expect, it } from "vitest";
import { type Entry, TELEMETRY_PATH, type TelemetryReport, telemetrySchema } from "../../shared/protocol/index.js";
import { FakeClock, settle } from "./fake-clock.js";
import type { PageEnvironment } from "./page-signals.js";
import { postTelemetry, Telemetry } from "./telemetry.js";

let clock: FakeClock;
let perf: number;
let frames: (() => void)[];
let visible: boolean;
let page: EventTarget & { visibilityState: DocumentVisibilityState };
let win: EventTarget;
let env: PageEnvironment;
let sent: TelemetryReport[];
let t: Telemetry;
let stop: () => void;

const sink = { send: async (report: TelemetryReport) => void sent.push(telemetrySchema.parse(report)) };

beforeEach(() => {
  clock = new FakeClock(1_000_000);
  perf = 100;
  frames = [];
  visible = true;
  page = Object.assign(new EventTarget(), { visibilityState: "visible" as DocumentVisibilityState });
  win = new EventTarget();
  env = { document: page, window: win };
  sent = [];
  t = new Telemetry({ clock, perf: () => perf, nextFrame: (fn) => void frames.push(fn), visible: () => visible });
  stop = t.start(sink, env);
});

const msg = (id: string, v = 1): Entry => ({ d: "chat", v, k: "msg", at: 0, data: { message: { id, conversationId: "c1", seq: v } } }) as Entry;
const paint = (at: number) => {
  perf = at;
  for (const frame of frames.splice(0)) frame();
};
const hide = () => {
  page.visibilityState = "hidden";
  page.dispatchEvent(new Event("visibilitychange"));
};

describe("Telemetry", () => {
  it("sends nothing when nothing happened: not after the interval, not when the page is hidden or left, not on stop", () => {
    clock.advance(120_000);
    hide();
    win.dispatchEvent(new Event("pagehide"));
    stop();
    expect(sent).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it("batches: what happens within 30 s goes out in one report 30 s after the first of it, at most one per 30 s", () => {
    t.transportUp("ws");
    t.outboxWait(120);
    clock.advance(10_000);
    t.holePull();
    t.holePull();
    t.transportUp("sse");
    clock.advance(19_999);
    expect(sent).toEqual([]);
    clock.advance(1);
    expect(sent).toEqual([{ transport: "sse", renderMs: [], holePulls: 2, switches: [{ from: "ws", to: "sse" }], outboxMs: [120] }]);
    // The next thing starts the next 30 s; what came before is not sent again.
    clock.advance(5_000);
    t.outboxWait(7);
    clock.advance(29_999);
    expect(sent).toHaveLength(1);
    clock.advance(1);
    expect(sent[1]).toEqual({ transport: "sse", renderMs: [], holePulls: 0, switches: [], outboxMs: [7] });
    clock.advance(300_000);
    expect(sent).toHaveLength(2);
  });

  it("a transport's first hello and the same one again are not switches", () => {
    t.transportUp("poll");
    t.transportUp("poll");
    clock.advance(60_000);
    expect(sent).toEqual([]);
    t.transportUp("ws");
    clock.advance(30_000);
    expect(sent.map((r) => r.switches)).toEqual([[{ from: "poll", to: "ws" }]]);
  });

  it("keeps each list within the schema's bounds, newest values first to stay; values out of range are left out", () => {
    for (let i = 0; i < 250; i++) t.outboxWait(i);
    t.outboxWait(-5);
    t.outboxWait(86_400_001);
    t.outboxWait(Number.NaN);
    for (let i = 0; i < 30; i++) {
      t.transportUp("ws");
      t.transportUp("sse");
    }
    for (let i = 0; i < 10_005; i++) t.holePull();
    clock.advance(30_000);
    const [report] = sent;
    expect(report!.outboxMs).toHaveLength(200);
    expect(report!.outboxMs[0]).toBe(50);
    expect(report!.outboxMs.at(-1)).toBe(249);
    expect(report!.switches).toHaveLength(50);
    expect(report!.switches.at(-1)).toEqual({ from: "ws", to: "sse" });
    expect(report!.holePulls).toBe(10_000);
    // Whatever it holds, a report fits the route's 16 KB.
    expect(JSON.stringify(report).length).toBeLessThan(16 * 1024);
  });

  it("hidden again within 20 s of a batch (switching tabs): what waits is left for the timer; leaving the page still sends", () => {
    t.outboxWait(1);
    hide();
    expect(sent).toHaveLength(1);
    clock.advance(19_999);
    page.visibilityState = "visible";
    t.outboxWait(2);
    hide();
    expect(sent).toHaveLength(1);
    win.dispatchEvent(new Event("pagehide"));
    expect(sent.map((r) => r.outboxMs)).toEqual([[1], [2]]);
    clock.advance(20_000);
    page.visibilityState = "visible";
    t.outboxWait(3);
    hide();
    expect(sent.map((r) => r.outboxMs)).toEqual([[1], [2], [3]]);
    // Tab switching only: the timer sends it, 30 s after it was recorded.
    clock.advance(1);
    page.visibilityState = "visible";
    t.outboxWait(4);
    hide();
    clock.advance(29_999);
    expect(sent).toHaveLength(3);
    clock.advance(1);
    expect(sent.map((r) => r.outboxMs)).toEqual([[1], [2], [3], [4]]);
  });

  it("flushes at once when the page is hidden or left (pagehide), and the 30 s timer is then off", () => {
    t.outboxWait(1);
    hide();
    expect(sent).toEqual([{ transport: null, renderMs: [], holePulls: 0, switches: [], outboxMs: [1] }]);
    t.holePull();
    win.dispatchEvent(new Event("pagehide"));
    expect(sent).toHaveLength(2);
    expect(sent[1]!.holePulls).toBe(1);
    clock.advance(60_000);
    expect(sent).toHaveLength(2);
  });

  it("times receive → paint for messages shown live; not those that were on screen when the list opened, nor ones never pushed", () => {
    t.transportUp("ws");
    perf = 1_000;
    t.arrived([msg("m1", 1), msg("m2", 2), { d: "chat", v: 3, k: "conv", at: 0, data: {} } as Entry]);
    perf = 1_004;
    t.seen(["m2"]);
    t.shown(["m1", "m2", "m9"]);
    expect(frames).toHaveLength(1);
    paint(1_012.34);
    // Shown again (a re-render): timed once only.
    t.shown(["m1"]);
    expect(frames).toHaveLength(0);
    clock.advance(30_000);
    expect(sent.map((r) => r.renderMs)).toEqual([[12.3]]);
  });

  it("does not time messages rendered while the page is hidden, nor a frame that comes only after the page was hidden", () => {
    perf = 0;
    t.arrived([msg("a", 1), msg("b", 2)]);
    visible = false;
    t.shown(["a"]);
    expect(frames).toEqual([]);
    visible = true;
    t.shown(["b"]);
    hide();
    paint(90_000);
    clock.advance(60_000);
    expect(sent).toEqual([]);
  });

  it("does not time a message first shown long after it arrived (its conversation was opened later)", () => {
    perf = 0;
    t.arrived([msg("late", 1)]);
    perf = 60_001;
    t.shown(["late"]);
    expect(frames).toEqual([]);
  });

  it("a failed send is dropped: no retry, no error, and the next batch carries only what is new", async () => {
    const failing = new Telemetry({ clock, perf: () => perf, nextFrame: (fn) => fn(), visible: () => true });
    let calls = 0;
    failing.start({ send: (report) => (++calls === 1 ? Promise.reject(new Error("offline")) : sink.send(report)) }, env);
    failing.outboxWait(5);
    clock.advance(30_000);
    await settle();
    expect(calls).toBe(1);
    clock.advance(120_000);
    expect(calls).toBe(1);
    failing.outboxWait(6);
    clock.advance(30_000);
    expect(calls).toBe(2);
    expect(sent.map((r) => r.outboxMs)).toEqual([[6]]);
  });

  it("stop sends what is waiting; nothing is collected, sent or armed until the next start", () => {
    t.outboxWait(3);
    stop();
    expect(sent).toHaveLength(1);
    t.outboxWait(4);
    t.holePull();
    clock.advance(60_000);
    win.dispatchEvent(new Event("pagehide"));
    expect(sent).toHaveLength(1);
    expect(clock.pending).toBe(0);
    t.start(sink, env);
    t.outboxWait(5);
    clock.advance(30_000);
    expect(sent[1]).toEqual({ transport: null, renderMs: [], holePulls: 0, switches: [], outboxMs: [5] });
  });
});

describe("postTelemetry", () => {
  it("posts JSON as the signed-in app: cookie session, device id, keepalive (it may leave as the page goes)", async () => {
    const calls: [string, RequestInit][] = [];
    const fetchFn = (async (url: string, init: RequestInit) => {
      calls.push([url, init]);
      return new Response(null, { status: 204 });
    }) as typeof fetch;
    const report: TelemetryReport = { transport: "sse", renderMs: [1], holePulls: 0, switches: [], outboxMs: [] };
    await postTelemetry(report, "d-1", fetchFn);
    expect(calls).toEqual([
      [TELEMETRY_PATH, { method: "POST", headers: { "Content-Type": "application/json", "X-Device-Id": "d-1" }, body: JSON.stringify(report), credentials: "include", keepalive: true }],
    ]);
  });
});
