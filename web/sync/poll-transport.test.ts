import { beforeEach, describe, expect, it } from "vitest";
import { formatCursor, parseCursor, zeroVersions, type Domain, type Entry, type Hello, type Versions } from "../../shared/protocol/index.js";
import { Api } from "../api/client.js";
import { Http } from "../api/http.js";
import { RECONNECT_BACKOFF } from "./backoff.js";
import { FakeClock } from "./fake-clock.js";
import { POLL_TIMINGS, POLL_TRANSITIONS, PollTransport } from "./poll-transport.js";
import { TransportLog } from "./transport-log.js";
import type { TransportHandlers } from "./transport.js";

const DEVICE = "8a6f2b7e-1c1d-4d7e-9b7a-2f0c8e5d4a31";
const { waitMs, timeoutSlackMs } = POLL_TIMINGS;
const retryBaseMs = RECONNECT_BACKOFF.baseMs;

interface Request {
  url: URL;
  signal: AbortSignal;
  answer(status: number, body: unknown, headers?: Record<string, string>): void;
}

let requests: Request[];
/** Whether the fake network drops a request when its signal aborts (a real one does). */
let honorAbort: boolean;
let consumed: Versions;
let statuses: string[];
let hellos: number;
let pushed: number[];
let refusals: string[];
let resets: Domain[][];
let resetDone: () => void;
let clock: FakeClock;
let log: TransportLog;
let transitions: string[];

function fakeFetch(input: string, init: RequestInit): Promise<Response> {
  return new Promise((resolve, reject) => {
    const signal = init.signal!;
    if (honorAbort) signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    requests.push({
      url: new URL(input, "http://courier.test"),
      signal,
      answer: (status, body, headers = {}) =>
        resolve(new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } })),
    });
  });
}

const hello: Hello = { userId: "u1", deviceId: DEVICE, heads: zeroVersions(), ring: 2000, heartbeatMs: 25_000, transport: "poll" };
const entry = (v: number): Entry => ({ d: "chat", v, k: "notice", at: 0, data: {} });
const answer = (entries: Entry[], extra: object = {}) => ({ hello, entries, heads: zeroVersions(), cursor: formatCursor(zeroVersions()), ...extra });

function handlers(): TransportHandlers {
  return {
    cursor: () => ({ ...consumed }),
    onHello: () => void hellos++,
    onPush: (entries) => pushed.push(...entries.map((e) => e.v)),
    onStatus: (s) => statuses.push(s),
    onRefused: (code) => refusals.push(code),
    onReset: (domains) => {
      resets.push(domains);
      return new Promise<void>((resolve) => (resetDone = resolve));
    },
  };
}

function transport(random: () => number = () => 0.5): PollTransport {
  return new PollTransport({
    deviceId: DEVICE,
    api: new Api(new Http("", fakeFetch)),
    clock,
    random,
    log,
    onTransition: (from, to) => transitions.push(`${from}→${to}`),
  });
}

/** Moves the clock, letting answers (real promises and streams) be read after each timer and at the end. */
async function advance(ms: number): Promise<void> {
  await clock.advanceAsync(ms);
  await drain();
}

/** Lets the response bodies be read (real promises and streams) without moving the fake clock. */
async function drain(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

const latest = (): Request => requests.at(-1)!;
const wait = (r: Request) => Number(r.url.searchParams.get("wait"));
const cursor = (r: Request) => parseCursor(r.url.searchParams.get("cursor") ?? "");

beforeEach(() => {
  clock = new FakeClock(0);
  log = new TransportLog(200, () => clock.now(), () => clock.now());
  transitions = [];
  requests = [];
  honorAbort = true;
  consumed = zeroVersions();
  statuses = [];
  hellos = 0;
  pushed = [];
  refusals = [];
  resets = [];
  resetDone = () => {};
});

describe("PollTransport", () => {
  it("says hello on an immediate first poll, then parks with wait=25000 and hands entries over", async () => {
    const poll = transport();
    poll.connect(handlers());
    expect(latest().url.pathname).toBe("/api/poll");
    expect(latest().url.searchParams.get("device")).toBe(DEVICE);
    expect(wait(latest())).toBe(0);
    expect(statuses).toEqual(["connecting"]);

    latest().answer(200, answer([]));
    await drain();
    expect(statuses).toEqual(["connecting", "online"]);
    expect(hellos).toBe(1);
    expect(poll.online).toBe(true);
    expect(requests).toHaveLength(2);
    expect(wait(latest())).toBe(waitMs);

    clock.advance(5_000); // parked until something is appended
    latest().answer(200, answer([entry(1), entry(2)]));
    await drain();
    expect(pushed).toEqual([1, 2]);
    expect(hellos).toBe(1); // once per connection, not per poll
  });

  it("polls again at once, its cursor raised to what came even before the engine has applied it", async () => {
    const poll = transport();
    poll.connect(handlers());
    latest().answer(200, answer([entry(1), entry(2)], { cursor: "chat:2" }));
    await drain();
    // The next poll does not wait for the engine: nothing that came is asked for again,
    // and only what the engine stored is acknowledged (receipts mean "stored on the device").
    expect(requests).toHaveLength(2);
    expect(cursor(latest())).toEqual({ chat: 2, system: 0, marketing: 0 });
    expect(latest().url.searchParams.get("ack")).toBe("chat:0,system:0,marketing:0");

    // The engine got further by itself (a pull): its versions win where they are higher.
    consumed = { chat: 2, system: 7, marketing: 0 };
    latest().answer(200, answer([entry(3)], { cursor: "chat:3" }));
    await drain();
    expect(requests).toHaveLength(3);
    expect(cursor(latest())).toEqual({ chat: 3, system: 7, marketing: 0 });
    expect(pushed).toEqual([1, 2, 3]);
    expect(poll.online).toBe(true);

    // Caught up: cursor and ack are the same, and the extension is left out.
    consumed = { chat: 3, system: 7, marketing: 0 };
    clock.advance(5_000);
    latest().answer(200, answer([]));
    await drain();
    expect(latest().url.searchParams.has("ack")).toBe(false);
  });

  it("asks from the engine's versions again when the engine never caught up with what came", async () => {
    const poll = transport();
    poll.connect(handlers());
    latest().answer(200, answer([entry(1), entry(2)], { cursor: "chat:2" }));
    await drain();
    expect(cursor(latest())).toEqual({ chat: 2, system: 0, marketing: 0 });
    consumed = { chat: 1, system: 0, marketing: 0 }; // entry 2 was dropped on its way to the engine

    // The parked poll ends (a quiet chat: its wait runs out) long after: the next one starts from the engine.
    clock.advance(POLL_TIMINGS.receivedTrustMs + 1);
    latest().answer(200, answer([]));
    await drain();
    expect(cursor(latest())).toEqual({ chat: 1, system: 0, marketing: 0 });
    expect(latest().url.searchParams.has("ack")).toBe(false);
  });

  it("starts a new connection from the engine's versions alone: what it never applied comes again", async () => {
    const poll = transport();
    poll.connect(handlers());
    latest().answer(200, answer([entry(1), entry(2)], { cursor: "chat:2" }));
    await drain();
    consumed = { chat: 1, system: 0, marketing: 0 }; // entry 2 never made it into the engine
    latest().answer(502, "bad gateway");
    await drain();
    await advance(retryBaseMs);
    expect(wait(latest())).toBe(0);
    expect(cursor(latest())).toEqual({ chat: 1, system: 0, marketing: 0 });
  });

  it("backs off with full jitter on a 502, then starts a new connection that says hello again", async () => {
    const poll = transport();
    poll.connect(handlers());
    latest().answer(200, answer([]));
    await drain();

    latest().answer(502, { error: { code: "internal", message: "Bad gateway" } });
    await drain();
    expect(statuses.at(-1)).toBe("offline");
    expect(poll.online).toBe(false);
    await advance(retryBaseMs * 0.5 - 1); // random 0.5 of the base
    expect(requests).toHaveLength(2);
    await advance(1);
    expect(requests).toHaveLength(3);
    expect(wait(latest())).toBe(0);

    latest().answer(502, "<html>proxy error</html>");
    await drain();
    await advance(retryBaseMs - 1); // second failure: 0.5 of twice the base
    expect(requests).toHaveLength(3);
    await advance(1);
    expect(requests).toHaveLength(4);

    latest().answer(200, answer([]));
    await drain();
    expect(hellos).toBe(2);
    expect(statuses).toEqual(["connecting", "online", "offline", "connecting", "offline", "connecting", "online"]);
  });

  it("reports a 401 as refused and keeps retrying", async () => {
    const poll = transport();
    poll.connect(handlers());
    latest().answer(401, { error: { code: "unauthorized", message: "Sign in" } });
    await drain();
    expect(refusals).toEqual(["unauthorized"]);
    await advance(retryBaseMs);
    expect(requests).toHaveLength(2);
  });

  it("abandons a poll that outlives its wait by the slack, and retries", async () => {
    const poll = transport();
    poll.connect(handlers());
    const first = latest();
    await advance(timeoutSlackMs - 1);
    expect(first.signal.aborted).toBe(false);
    await advance(1);
    await drain();
    expect(first.signal.aborted).toBe(true);
    expect(statuses.at(-1)).toBe("offline");
    await advance(retryBaseMs);
    expect(requests).toHaveLength(2);
  });

  it("on a reset takes a snapshot before the next poll", async () => {
    const poll = transport();
    poll.connect(handlers());
    latest().answer(200, answer([], { reset: ["chat"] }));
    await drain();
    expect(resets).toEqual([["chat"]]);
    await advance(5_000);
    expect(requests).toHaveLength(1);

    consumed = { chat: 90, system: 0, marketing: 0 };
    resetDone();
    await drain();
    expect(requests).toHaveLength(2);
    expect(cursor(latest())).toEqual({ chat: 90, system: 0, marketing: 0 });
  });

  it("does not spin when a parked poll is answered empty at once", async () => {
    const poll = transport();
    poll.connect(handlers());
    latest().answer(200, answer([]));
    await drain();
    latest().answer(200, answer([])); // wait=25000, yet answered at once
    await drain();
    expect(requests).toHaveLength(2);
    await advance(POLL_TIMINGS.quickEmptyMs);
    expect(requests).toHaveLength(3);
  });

  it("hands on the typing frames of an answer (a malformed one dropped) and polls again at once: someone typing answers a parked poll early", async () => {
    const poll = transport();
    const typing: unknown[] = [];
    poll.connect({ ...handlers(), onTyping: (frame) => typing.push(frame) });
    latest().answer(200, answer([]));
    await drain();
    const frame = { type: "typing", conversationId: "c1", userId: "u2" };
    latest().answer(200, answer([], { ephemeral: [frame, { type: "typing", conversationId: 7 }] }));
    await drain();
    expect(typing).toEqual([{ conversationId: "c1", userId: "u2" }]);
    // Not taken for a proxy answering early: the next poll is out without waiting quickEmptyMs.
    expect(requests).toHaveLength(3);
    expect(wait(latest())).toBe(waitMs);
  });

  it("ignores an answer that arrives after close()", async () => {
    honorAbort = false; // the answer is already on its way
    const poll = transport();
    poll.connect(handlers());
    const first = latest();
    poll.close();
    expect(first.signal.aborted).toBe(true);
    first.answer(200, answer([entry(1)]));
    await drain();
    await advance(60_000);
    expect(hellos).toBe(0);
    expect(pushed).toEqual([]);
    expect(statuses).toEqual(["connecting"]);
    expect(requests).toHaveLength(1);
  });

  it("ignores the late answer of a poll it abandoned, even when the network did not drop it", async () => {
    honorAbort = false;
    const poll = transport();
    poll.connect(handlers());
    const stale = latest();
    await advance(timeoutSlackMs);
    expect(stale.signal.aborted).toBe(true);
    expect(statuses.at(-1)).toBe("offline");
    stale.answer(200, answer([entry(7)]));
    await drain();
    expect(pushed).toEqual([]);
    expect(hellos).toBe(0);

    await advance(retryBaseMs);
    latest().answer(200, answer([entry(8)]));
    await drain();
    expect(pushed).toEqual([8]);
  });
});

describe("PollTransport: liveness", () => {
  /** Connected: the hello poll answered, the next one parked. */
  async function parked(poll: PollTransport): Promise<Request> {
    poll.connect(handlers());
    latest().answer(200, answer([]));
    await drain();
    expect(wait(latest())).toBe(waitMs);
    return latest();
  }

  it("on wake() (page visible, browser online) asks again at once when the parked poll is older than a second", async () => {
    const poll = transport();
    const first = await parked(poll);
    await advance(POLL_TIMINGS.wakeRestartMs); // exactly a second: it may well be fine
    poll.wake();
    expect(requests).toHaveLength(2);
    await advance(1);
    poll.wake();
    expect(first.signal.aborted).toBe(true);
    expect(requests).toHaveLength(3);
    expect(wait(latest())).toBe(waitMs); // still the same connection: no new hello
    expect(statuses).toEqual(["connecting", "online"]);

    first.answer(200, answer([entry(5)])); // the abandoned poll's late answer is ignored
    await drain();
    expect(pushed).toEqual([]);
    latest().answer(200, answer([entry(6)]));
    await drain();
    expect(pushed).toEqual([6]);
  });

  it("records a poll unanswered by wait + slack as a dead link, then reconnects", async () => {
    const poll = transport();
    await parked(poll);
    await advance(waitMs + timeoutSlackMs);
    expect(statuses.at(-1)).toBe("offline");
    expect(log.list().map((e) => `${e.name} ${e.event}: ${e.detail}`)).toEqual([`poll dead: no sign of life for ${waitMs + timeoutSlackMs} ms`]);
    await advance(retryBaseMs);
    expect(requests).toHaveLength(3);
    expect(wait(latest())).toBe(0); // a new connection says hello again
  });

  it("never polls again before Retry-After, not even on wake()", async () => {
    const poll = transport(() => 0);
    poll.connect(handlers());
    latest().answer(503, { error: { code: "internal", message: "Restarting" } }, { "Retry-After": "5" });
    await drain();
    expect(statuses).toEqual(["connecting", "offline"]);
    await advance(1_000);
    poll.wake();
    await advance(3_999);
    expect(requests).toHaveLength(1);
    await advance(1);
    expect(requests).toHaveLength(2);
  });

  it("wake() while waiting out a plain backoff polls at once", async () => {
    const poll = transport(() => 1);
    poll.connect(handlers());
    latest().answer(502, "bad gateway");
    await drain();
    poll.wake();
    expect(requests).toHaveLength(2);
  });

  it(`backs off up to ${RECONNECT_BACKOFF.capMs / 1000} s while visible and ${RECONNECT_BACKOFF.hiddenCapMs / 1000} s while hidden`, async () => {
    const poll = transport(() => 1);
    poll.connect(handlers());
    const waits: number[] = [];
    const fail = async () => {
      latest().answer(502, "bad gateway");
      await drain();
      const before = requests.length;
      let waited = 0;
      while (requests.length === before) {
        clock.advance(100);
        waited += 100;
      }
      waits.push(waited);
    };
    for (let i = 0; i < 5; i++) await fail();
    expect(waits).toEqual([500, 1_000, 2_000, 4_000, 5_000]);
    poll.setHidden(true);
    await fail();
    await fail();
    expect(waits.slice(5)).toEqual([16_000, 30_000]);
  });

  it("moves only along its table", async () => {
    const poll = transport();
    poll.connect(handlers());
    latest().answer(200, answer([entry(1)]));
    await drain();
    latest().answer(200, answer([], { reset: ["chat"] }));
    await drain();
    resetDone();
    await drain();
    latest().answer(502, "bad gateway");
    await drain();
    await advance(retryBaseMs);
    poll.close();
    expect(transitions).toEqual([
      "idle→polling",
      "polling→polling",
      "polling→resetting",
      "resetting→polling",
      "polling→waiting",
      "waiting→polling",
      "polling→idle",
    ]);
    for (const step of transitions) {
      const [from, to] = step.split("→") as [keyof typeof POLL_TRANSITIONS, keyof typeof POLL_TRANSITIONS];
      expect(POLL_TRANSITIONS[from]).toContain(to);
    }
    expect(clock.pending).toBe(0);
  });
});
