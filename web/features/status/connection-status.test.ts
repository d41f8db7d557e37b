import { beforeEach, describe, expect, it } from "vitest";
import { formatCursor, zeroVersions, type Hello } from "../../../shared/protocol/index.js";
import { Api } from "../../api/client.js";
import { Http } from "../../api/http.js";
import { connectionDisplay, useConnection } from "../../stores/connection.js";
import { FakeClock } from "../../sync/fake-clock.js";
import { watchPage, type PageEnvironment } from "../../sync/page-signals.js";
import { PollTransport } from "../../sync/poll-transport.js";

/**
 * The header's state machine end to end, with a fake clock: a real long-poll
 * transport (the server played by the test), the page's online/offline events
 * wired as the sync client wires them, and the connection store the header reads.
 */

const DEVICE = "8a6f2b7e-1c1d-4d7e-9b7a-2f0c8e5d4a31";
const hello: Hello = { userId: "u1", deviceId: DEVICE, heads: zeroVersions(), ring: 2000, heartbeatMs: 25_000, transport: "poll" };

interface Request {
  answer(): void;
  /** The server does not answer: the request fails as fetch does when nothing is there. */
  fail(): void;
}

let requests: Request[];
let clock: FakeClock;
let win: EventTarget;
let env: PageEnvironment;

function fakeFetch(_input: string, init: RequestInit): Promise<Response> {
  return new Promise((resolve, reject) => {
    init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    requests.push({
      answer: () =>
        resolve(
          new Response(JSON.stringify({ hello, entries: [], heads: zeroVersions(), cursor: formatCursor(zeroVersions()) }), {
            status: 200,
            headers: { "Content-Type": "application/json" },
          }),
        ),
      fail: () => reject(new TypeError("Failed to fetch")),
    });
  });
}

async function drain(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

const shown = () => connectionDisplay(useConnection.getState());
const latest = () => requests.at(-1)!;

/** A transport connected the way the sync client connects it (sync-client.ts `listen`, `onStatus`). */
function connect(): PollTransport {
  const transport = new PollTransport({ deviceId: DEVICE, api: new Api(new Http("", fakeFetch)), clock, random: () => 0.5 });
  watchPage(
    transport,
    {
      onOnline: () => useConnection.getState().setBrowserOffline(false),
      onOffline: () => useConnection.getState().setBrowserOffline(true),
    },
    env,
  );
  transport.connect({
    cursor: () => zeroVersions(),
    onHello: () => {},
    onPush: () => {},
    onStatus: (status) => useConnection.getState().setStatus(status, status === "online" ? "poll" : null),
    onRefused: () => {},
  });
  return transport;
}

beforeEach(() => {
  requests = [];
  clock = new FakeClock(1_000_000);
  win = new EventTarget();
  env = { document: Object.assign(new EventTarget(), { visibilityState: "visible" as DocumentVisibilityState }), window: win };
  useConnection.getState().reset();
  useConnection.getState().setBrowserOffline(false);
});

describe("the header's connection state", () => {
  it("says offline the moment the browser loses its network, while the link has not yet missed a heartbeat", async () => {
    connect();
    expect(shown()).toBe("connecting");
    latest().answer();
    await drain();
    expect(shown()).toBe("online");

    win.dispatchEvent(new Event("offline"));
    // No time passes: the parked poll has not timed out, yet the header already says so.
    expect(shown()).toBe("offline");
    expect(useConnection.getState().status).toBe("online");
  });

  it("tries again the moment the browser is back online, without waiting out the backoff", async () => {
    connect();
    latest().answer();
    await drain();
    win.dispatchEvent(new Event("offline"));
    latest().fail();
    await drain();
    expect(shown()).toBe("offline");
    const before = requests.length;

    win.dispatchEvent(new Event("online"));
    await drain();
    expect(requests.length).toBe(before + 1); // at once: the clock has not moved
    expect(shown()).toBe("connecting");
    latest().answer();
    await drain();
    expect(shown()).toBe("online");
  });

  it("with a network but no server: connecting, then can't reach after a failed attempt (not offline)", async () => {
    connect();
    latest().fail();
    await drain();
    expect(shown()).toBe("unreachable");

    // It keeps trying on its own, and stays "can't reach" through the retries instead of flickering.
    await clock.advanceAsync(10_000);
    await drain();
    expect(requests.length).toBeGreaterThan(1);
    expect(shown()).toBe("unreachable");
    latest().answer();
    await drain();
    expect(shown()).toBe("online");
  });

  it("after a drop says connecting until the first retry fails; Try now (a wake) retries at once", async () => {
    const transport = connect();
    latest().answer();
    await drain();
    latest().fail(); // the parked poll: the server went away
    await drain();
    expect(shown()).toBe("connecting");

    await clock.advanceAsync(10_000); // the backoff's retry, which fails too
    await drain();
    latest().fail();
    await drain();
    expect(shown()).toBe("unreachable");

    const before = requests.length;
    transport.wake(); // what "Try now" calls
    await drain();
    expect(requests.length).toBe(before + 1);
    latest().answer();
    await drain();
    expect(shown()).toBe("online");
  });

  it("the browser's word wins over a failed server: no network is offline, not can't reach", async () => {
    connect();
    latest().fail();
    await drain();
    expect(shown()).toBe("unreachable");
    win.dispatchEvent(new Event("offline"));
    expect(shown()).toBe("offline");
    // Back on a network: what failed without one proves nothing, so it says connecting while it tries again.
    win.dispatchEvent(new Event("online"));
    expect(shown()).toBe("connecting");
  });

  it("a tab closed as the oldest of too many says so whatever else is true", () => {
    useConnection.getState().setTooManyTabs(() => {});
    useConnection.getState().setBrowserOffline(true);
    expect(shown()).toBe("too-many-tabs");
    useConnection.getState().setTooManyTabs(null);
  });
});
