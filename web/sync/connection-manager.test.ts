import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { zeroVersions, type Entry, type Hello, type TransportName } from "../../shared/protocol/index.js";
import { NetworkError } from "../api/errors.js";
import { CONNECTION_TIMINGS, ConnectionManager } from "./connection-manager.js";
import type { Transport, TransportHandlers } from "./transport.js";
import type { TransportChoice, TransportMemory } from "./transport-choice.js";
import { TransportLog } from "./transport-log.js";

const { helloDeadlineMs, dropGraceMs, probeTimeoutMs, probeFirstMs, probeIntervalMs, overlapMs } = CONNECTION_TIMINGS;

/** A transport the test drives. It keeps its handlers after close, so a test can play a late event. */
class FakeTransport implements Transport {
  online = false;
  closed = false;
  wakes = 0;
  hidden = false;
  handlers: TransportHandlers | null = null;
  send = vi.fn(async () => ({ id: "m1" }) as never);
  pull = vi.fn(async () => ({ d: "chat" as const, entries: [], head: 0, reset: false }));
  ack = vi.fn(async () => {});

  constructor(readonly name: TransportName) {}

  connect(handlers: TransportHandlers): void {
    this.handlers = handlers;
    handlers.onStatus("connecting");
  }
  wake(): void {
    this.wakes++;
  }
  setHidden(hidden: boolean): void {
    this.hidden = hidden;
  }
  close(): void {
    this.closed = true;
    this.online = false;
  }

  hello(): void {
    this.online = true;
    this.handlers!.onStatus("online");
    this.handlers!.onHello(helloOn(this.name));
  }
  fail(): void {
    this.online = false;
    this.handlers!.onStatus("offline");
  }
  push(v: number): void {
    this.handlers!.onPush([entry(v)]);
  }
}

function helloOn(transport: TransportName): Hello {
  return { userId: "u1", deviceId: "d1", heads: zeroVersions(), ring: 2000, heartbeatMs: 25_000, transport };
}

function entry(v: number): Entry {
  return { d: "chat", v, k: "notice", at: 0, data: {} };
}

interface Harness {
  manager: ConnectionManager;
  /** Every instance made, per transport, in order. */
  made: Record<TransportName, FakeTransport[]>;
  /** What the sync client saw: "connecting", "offline", "online:<name the manager reports>". */
  statuses: string[];
  hellos: TransportName[];
  pushed: number[];
  log: TransportLog;
  memory: TransportMemory & { value: TransportName | null };
  connect(): void;
}

function harness(opts: { choice?: TransportChoice; remembered?: TransportName | null; supported?: TransportName[] } = {}): Harness {
  const made: Record<TransportName, FakeTransport[]> = { ws: [], sse: [], poll: [] };
  const factories: Partial<Record<TransportName, () => Transport>> = {};
  for (const name of opts.supported ?? (["ws", "sse", "poll"] as const)) {
    factories[name] = () => {
      const transport = new FakeTransport(name);
      made[name].push(transport);
      return transport;
    };
  }
  const memory = {
    value: opts.remembered ?? null,
    load: () => memory.value,
    save: (name: TransportName) => void (memory.value = name),
  };
  const log = new TransportLog(200, () => Date.now(), () => Date.now());
  const statuses: string[] = [];
  const hellos: TransportName[] = [];
  const pushed: number[] = [];
  // random 0: probe delays are exactly their base.
  const manager = new ConnectionManager({ factories, choice: opts.choice ?? "auto", memory, log, random: () => 0 });
  const handlers: TransportHandlers = {
    cursor: () => zeroVersions(),
    onHello: (hello) => hellos.push(hello.transport),
    onPush: (entries) => pushed.push(...entries.map((e) => e.v)),
    onStatus: (status) => statuses.push(status === "online" ? `online:${manager.name}` : status),
    onRefused: () => {},
    onReset: () => {},
  };
  return { manager, made, statuses, hellos, pushed, log, memory, connect: () => manager.connect(handlers) };
}

const only = (list: FakeTransport[]): FakeTransport => {
  expect(list).toHaveLength(1);
  return list[0]!;
};
const events = (h: Harness) => h.log.list().map((e) => `${e.event}:${e.name}`);

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("ConnectionManager: falling back when a transport does not get through", () => {
  it("starts SSE beside a WebSocket that has not said hello within the deadline (500 ms), and uses whichever answers", () => {
    const h = harness();
    h.connect();
    const ws = only(h.made.ws);
    vi.advanceTimersByTime(helloDeadlineMs - 1);
    expect(h.made.sse).toHaveLength(0);
    vi.advanceTimersByTime(1);
    const sse = only(h.made.sse);
    expect(ws.closed).toBe(false); // it may still make it

    sse.hello();
    expect(h.statuses).toEqual(["connecting", "online:sse"]);
    expect(h.hellos).toEqual(["sse"]);
    expect(h.manager.online).toBe(true);
    expect(events(h)).toEqual(["fallback:sse", "hello:sse"]);
    expect(h.log.list()[0]!.at).toBe(helloDeadlineMs);

    // The WebSocket that lost the race gets a little longer to answer, then is closed.
    vi.advanceTimersByTime(probeTimeoutMs);
    expect(ws.closed).toBe(true);
    expect(h.made.poll).toHaveLength(0);
  });

  it("starts SSE at once when the WebSocket fails before its hello", () => {
    const h = harness();
    h.connect();
    vi.advanceTimersByTime(30);
    only(h.made.ws).fail();
    expect(h.made.sse).toHaveLength(1);
    // Something is still connecting: not "offline".
    expect(h.statuses).toEqual(["connecting"]);
  });

  it("walks ws → sse → poll when both hang, and long-polling carries the session within 1.5 s", () => {
    const h = harness();
    h.connect();
    vi.advanceTimersByTime(helloDeadlineMs);
    const sse = only(h.made.sse);
    vi.advanceTimersByTime(helloDeadlineMs);
    const poll = only(h.made.poll);
    vi.advanceTimersByTime(50); // the first poll (wait=0) is answered
    poll.hello();

    expect(Date.now()).toBeLessThan(1_500);
    expect(h.statuses.at(-1)).toBe("online:poll");
    expect(h.log.list().map((e) => [e.event, e.name, e.at])).toEqual([
      ["fallback", "sse", helloDeadlineMs],
      ["fallback", "poll", 2 * helloDeadlineMs],
      ["hello", "poll", 2 * helloDeadlineMs + 50],
    ]);
    vi.advanceTimersByTime(probeTimeoutMs);
    expect(only(h.made.ws).closed).toBe(true);
    expect(sse.closed).toBe(true);
  });

  it("keeps a late WebSocket that says hello before SSE does, and closes SSE", () => {
    const h = harness();
    h.connect();
    vi.advanceTimersByTime(helloDeadlineMs + 100);
    const sse = only(h.made.sse);
    only(h.made.ws).hello();
    expect(h.statuses.at(-1)).toBe("online:ws");
    expect(sse.closed).toBe(true);
    expect(h.memory.value).toBe("ws");
    // Nothing left to probe for.
    vi.advanceTimersByTime(10 * probeIntervalMs);
    expect(h.made.ws).toHaveLength(1);
  });

  it("skips what the browser lacks", () => {
    const h = harness({ supported: ["sse", "poll"] });
    h.connect();
    expect(h.made.ws).toHaveLength(0);
    only(h.made.sse);
  });

  it("falls back at runtime when the transport in use stays down for a second, not when it comes back sooner", () => {
    const h = harness();
    h.connect();
    const ws = only(h.made.ws);
    ws.hello();

    ws.fail();
    vi.advanceTimersByTime(dropGraceMs - 100);
    ws.hello(); // socket.io reconnected by itself
    expect(h.made.sse).toHaveLength(0);
    expect(h.statuses).toEqual(["connecting", "online:ws", "offline", "online:ws"]);

    ws.fail();
    vi.advanceTimersByTime(dropGraceMs);
    expect(events(h).slice(-2)).toEqual(["down:ws", "fallback:sse"]);
    const sse = only(h.made.sse);
    sse.hello();
    expect(h.statuses.slice(-2)).toEqual(["connecting", "online:sse"]);
    expect(h.memory.value).toBe("sse");

    // The WebSocket keeps reconnecting for a while; when it makes it, it takes over again.
    ws.hello();
    expect(h.statuses.at(-1)).toBe("online:ws");
    expect(events(h).slice(-2)).toEqual(["upgrade:ws", "hello:ws"]);
  });
});

describe("ConnectionManager: forced choice", () => {
  it("uses only the forced transport: no fallback, no probe, nothing remembered", () => {
    const h = harness({ choice: "sse", remembered: "ws" });
    h.connect();
    const sse = only(h.made.sse);
    vi.advanceTimersByTime(30_000);
    sse.fail();
    vi.advanceTimersByTime(30_000);
    sse.hello();
    sse.fail();
    vi.advanceTimersByTime(10 * probeIntervalMs);
    sse.hello();

    expect(h.made.ws).toHaveLength(0);
    expect(h.made.poll).toHaveLength(0);
    expect(h.made.sse).toHaveLength(1);
    expect(h.statuses).toEqual(["connecting", "offline", "online:sse", "offline", "online:sse"]);
    expect(h.memory.value).toBe("ws");
    expect(events(h)).toEqual(["hello:sse", "hello:sse"]);
  });

  it("applies a new choice by reconnecting", () => {
    const h = harness();
    h.connect();
    const ws = only(h.made.ws);
    ws.hello();
    h.manager.setChoice("poll");
    expect(ws.closed).toBe(true);
    const poll = only(h.made.poll);
    poll.hello();
    expect(h.statuses).toEqual(["connecting", "online:ws", "connecting", "online:poll"]);
    vi.advanceTimersByTime(10 * probeIntervalMs);
    expect(h.made.ws).toHaveLength(1);
  });
});

describe("ConnectionManager: remembering and upgrading", () => {
  it("starts with the transport that worked last time", () => {
    const first = harness();
    first.connect();
    only(first.made.ws).fail();
    only(first.made.sse).hello();
    expect(first.memory.value).toBe("sse");

    const next = harness({ remembered: first.memory.value });
    next.connect();
    expect(next.made.ws).toHaveLength(0);
    only(next.made.sse).hello();
    expect(next.statuses).toEqual(["connecting", "online:sse"]);
  });

  it("probes the better transport in the background with backoff, and switches only after its hello", () => {
    const h = harness({ remembered: "sse" });
    h.connect();
    const sse = only(h.made.sse);
    sse.hello();

    vi.advanceTimersByTime(probeFirstMs - 1);
    expect(h.made.ws).toHaveLength(0);
    vi.advanceTimersByTime(1);
    only(h.made.ws).fail(); // still blocked
    expect(h.made.ws[0]!.closed).toBe(true);

    vi.advanceTimersByTime(probeIntervalMs - 1);
    expect(h.made.ws).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(h.made.ws).toHaveLength(2);
    vi.advanceTimersByTime(probeTimeoutMs); // hangs: given up
    expect(h.made.ws[1]!.closed).toBe(true);

    vi.advanceTimersByTime(2 * probeIntervalMs - 1);
    expect(h.made.ws).toHaveLength(2);
    vi.advanceTimersByTime(1);
    const probe = h.made.ws[2]!;
    // Probing never disturbs the session.
    expect(h.statuses).toEqual(["connecting", "online:sse"]);
    expect(sse.closed).toBe(false);

    probe.hello();
    expect(h.statuses).toEqual(["connecting", "online:sse", "online:ws"]);
    expect(h.hellos).toEqual(["sse", "ws"]);
    expect(h.memory.value).toBe("ws");
    expect(events(h)).toEqual(["hello:sse", "upgrade:ws", "hello:ws"]);
    expect(sse.closed).toBe(false); // overlap
    vi.advanceTimersByTime(overlapMs);
    expect(sse.closed).toBe(true);
  });

  it("after a switch only the new transport counts, but for the old one's pushes during the overlap", () => {
    const h = harness({ remembered: "sse" });
    h.connect();
    const sse = only(h.made.sse);
    sse.hello();
    vi.advanceTimersByTime(probeFirstMs);
    const ws = only(h.made.ws);
    ws.hello();

    sse.push(5); // in flight when we switched: the engine gets it (and drops it if ws brings it too)
    ws.push(6);
    sse.fail(); // its status no longer matters
    sse.hello();
    expect(h.statuses.at(-1)).toBe("online:ws");
    expect(h.hellos).toEqual(["sse", "ws"]);

    vi.advanceTimersByTime(overlapMs);
    sse.push(7);
    ws.push(8);
    expect(h.pushed).toEqual([5, 6, 8]);
    expect(h.manager.online).toBe(true);
  });

  it("lets nothing of a probe through before its hello", () => {
    const h = harness({ remembered: "sse" });
    h.connect();
    only(h.made.sse).hello();
    vi.advanceTimersByTime(probeFirstMs);
    const ws = only(h.made.ws);
    ws.push(9);
    ws.handlers!.onHello(helloOn("ws")); // its hello: from now on it is the one
    ws.push(10);
    expect(h.pushed).toEqual([10]);
  });

  it("on long-polling, a probe round tries the WebSocket first, then SSE", () => {
    const h = harness({ remembered: "poll" });
    h.connect();
    only(h.made.poll).hello();
    vi.advanceTimersByTime(probeFirstMs);
    only(h.made.ws).fail();
    only(h.made.sse).hello();
    expect(h.statuses.at(-1)).toBe("online:sse");
    expect(events(h)).toEqual(["hello:poll", "upgrade:sse", "hello:sse"]);
    // Still not the best: keep probing for the WebSocket.
    vi.advanceTimersByTime(probeFirstMs);
    expect(h.made.ws).toHaveLength(2);
  });

  it("wake() probes at once when on a lower transport, and wakes the transports", () => {
    const h = harness({ remembered: "sse" });
    h.connect();
    const sse = only(h.made.sse);
    sse.hello();
    vi.advanceTimersByTime(1_000);
    h.manager.wake(); // e.g. the browser is back online
    expect(sse.wakes).toBe(1);
    only(h.made.ws).fail();
    h.manager.wake(); // too soon after the last round: a tab flipped back and forth must not hammer a proxy
    expect(h.made.ws).toHaveLength(1);
    vi.advanceTimersByTime(probeFirstMs);
    h.manager.wake();
    expect(h.made.ws).toHaveLength(2);
    h.made.ws[1]!.hello();
    expect(h.statuses.at(-1)).toBe("online:ws");
  });

  it("tells every transport whether the page is hidden, the ones it starts later too (before they connect)", () => {
    const h = harness();
    h.manager.setHidden(true); // the page loaded in a background tab
    h.connect();
    const ws = only(h.made.ws);
    expect(ws.hidden).toBe(true);
    vi.advanceTimersByTime(helloDeadlineMs); // late: SSE starts beside it
    const sse = only(h.made.sse);
    expect(sse.hidden).toBe(true);
    h.manager.setHidden(false);
    expect([ws.hidden, sse.hidden]).toEqual([false, false]);
    sse.hello();
    h.manager.wake(); // visible again: each link is checked now
    expect(sse.wakes).toBe(1);
  });
});

describe("ConnectionManager: requests and lifetime", () => {
  it("sends over the transport in use; with none, fails as a network error so HTTP is used", async () => {
    const h = harness();
    h.connect();
    await expect(h.manager.ack({ chat: 1 })).rejects.toBeInstanceOf(NetworkError);
    const ws = only(h.made.ws);
    ws.hello();
    await h.manager.ack({ chat: 1 });
    await h.manager.pull({ d: "chat", after: 0 });
    expect(ws.ack).toHaveBeenCalledWith({ chat: 1 });
    expect(ws.pull).toHaveBeenCalledTimes(1);
  });

  it("ignores everything a transport says after close()", () => {
    const h = harness();
    h.connect();
    const ws = only(h.made.ws);
    h.manager.close();
    expect(ws.closed).toBe(true);
    ws.hello();
    ws.push(1);
    vi.advanceTimersByTime(60_000);
    expect(h.statuses).toEqual(["connecting"]);
    expect(h.hellos).toEqual([]);
    expect(h.pushed).toEqual([]);
    expect(h.made.sse).toHaveLength(0);
  });

  it("passes a reset from the transport in use on to the sync client", async () => {
    const h = harness();
    const onReset = vi.fn(async () => {});
    h.manager.connect({ cursor: zeroVersions, onHello: () => {}, onPush: () => {}, onStatus: () => {}, onRefused: () => {}, onReset });
    const ws = only(h.made.ws);
    ws.hello();
    await ws.handlers!.onReset!(["chat"]);
    expect(onReset).toHaveBeenCalledWith(["chat"]);
  });
});
