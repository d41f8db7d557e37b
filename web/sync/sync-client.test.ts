import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  CourierError,
  zeroVersions,
  type Entry,
  type Hello,
  type PullRequest,
  type PullResponse,
  type Snapshot,
  type User,
  type Versions,
} from "../../shared/protocol/index.js";
import type { Api } from "../api/client.js";
import { NetworkError } from "../api/errors.js";
import { CourierDb } from "../db/database.js";
import { useConnection } from "../stores/connection.js";
import { convEntry, entry, ME, message, msgEntry, PEER, resetVersions, summary } from "../db/test-fixtures.js";
import { HTTP_CATCH_UP_MS, SyncClient } from "./sync-client.js";
import type { Transport, TransportHandlers } from "./transport.js";

const me: User = { id: ME, username: "me", displayName: "Me" };
const other: User = { id: "u-other", username: "other", displayName: "Other" };
const DEVICE = "8a6f2b7e-1c1d-4d7e-9b7a-2f0c8e5d4a31";

/** A transport driven by the test. It keeps the handlers of the last connect, so a test can play a late event. */
class FakeTransport implements Transport {
  readonly name = "ws" as const;
  online = false;
  connects = 0;
  closes = 0;
  handlers: TransportHandlers | null = null;
  pull = vi.fn(async (req: PullRequest): Promise<PullResponse> => pullFromServerLog(req));
  ack = vi.fn(async () => {});
  send = vi.fn(async () => {
    throw new Error("not used");
  });

  connect(handlers: TransportHandlers): void {
    this.handlers = handlers;
    this.connects++;
    handlers.onStatus("connecting");
  }
  wakes = 0;
  hidden: boolean[] = [];
  wake(): void {
    this.wakes++;
  }
  setHidden(hidden: boolean): void {
    this.hidden.push(hidden);
  }
  close(): void {
    this.online = false;
    this.closes++;
  }

  hello(userId: string, heads: Versions = zeroVersions(), extra: Partial<Hello> = {}): void {
    this.online = true;
    this.handlers?.onStatus("online");
    this.handlers?.onHello({ userId, deviceId: DEVICE, heads, ring: 2000, heartbeatMs: 25_000, transport: "ws", ...extra });
  }
  drop(): void {
    this.online = false;
    this.handlers?.onStatus("offline");
  }
}

/** The server's log, as pulls over HTTP and over the transport see it. */
let serverLog: Entry[] = [];

function pullFromServerLog(req: PullRequest): PullResponse {
  const mine = serverLog.filter((e) => e.d === req.d);
  return {
    d: req.d,
    entries: mine.filter((e) => e.v > req.after).slice(0, req.limit ?? 100),
    head: Math.max(0, ...mine.map((e) => e.v)),
    reset: false,
  };
}

function fakeApi(who: () => User = () => me) {
  return {
    me: vi.fn(async () => who()),
    registerDevice: vi.fn(async () => {}),
    pull: vi.fn(async (req: PullRequest): Promise<PullResponse> => pullFromServerLog(req)),
    snapshot: vi.fn(async (): Promise<Snapshot> => ({ heads: zeroVersions(), conversations: [], messages: {} })),
    ack: vi.fn(async () => {}),
    send: vi.fn(),
    listConversations: vi.fn(async () => []),
  };
}

let db: CourierDb;
let transport: FakeTransport;
let api: ReturnType<typeof fakeApi>;
let client: SyncClient | null;
const lost: string[] = [];
let conflicts = 0;
const page = Object.assign(new EventTarget(), { visibilityState: "visible" as DocumentVisibilityState });

function makeClient(): SyncClient {
  client = new SyncClient({
    user: me,
    deviceId: DEVICE,
    db,
    api: api as unknown as Api,
    transport,
    onSessionLost: (reason) => lost.push(reason),
    onDeviceConflict: () => conflicts++,
  });
  return client;
}

/** Lets IndexedDB (setImmediate, not faked) and promises run without moving the fake clock. */
async function drain(): Promise<void> {
  for (let i = 0; i < 60; i++) await new Promise((r) => setImmediate(r));
}

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
  vi.stubGlobal("document", page);
  vi.stubGlobal("window", new EventTarget());
  vi.stubGlobal("navigator", { userAgent: "vitest" });
  page.visibilityState = "visible";
  resetVersions();
  serverLog = [];
  lost.length = 0;
  conflicts = 0;
  db = new CourierDb(`client-${crypto.randomUUID()}`);
  await db.open();
  transport = new FakeTransport();
  api = fakeApi();
  client = null;
});

afterEach(async () => {
  await client?.stop();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  await db.delete();
});

describe("SyncClient: another account's session", () => {
  it("closes the transport on a hello for another user and lets none of that account's data in", async () => {
    const c = makeClient();
    await c.start();
    const late = transport.handlers!;

    transport.hello(other.id);
    expect(transport.closes).toBe(1);
    expect(lost).toEqual(["user_changed"]);
    expect(c.transportName).toBeNull();

    // A push that still arrives on that connection, and the HTTP catch-up's timers, bring nothing in.
    late.onPush([convEntry(summary("c-theirs"), 1), msgEntry(message("c-theirs", 1), 2)]);
    serverLog = [convEntry(summary("c-theirs"), 1)];
    await vi.advanceTimersByTimeAsync(HTTP_CATCH_UP_MS * 2);
    await drain();
    expect(await db.messages.count()).toBe(0);
    expect(await db.conversations.count()).toBe(0);
    expect(api.pull).not.toHaveBeenCalled();
    expect(transport.pull).not.toHaveBeenCalled();
    expect(c.versions).toEqual(zeroVersions());
    // Meanwhile it keeps asking the app to re-check.
    expect(lost.length).toBeGreaterThan(1);

    // The app re-checked: the session is ours after all. It reconnects, and our data flows.
    serverLog = [];
    c.resume();
    expect(transport.connects).toBe(2);
    transport.hello(me.id);
    transport.handlers!.onPush([convEntry(summary("c-mine"), 1), msgEntry(message("c-mine", 1, { senderId: PEER }), 2)]);
    await drain();
    await c.idle();
    expect((await db.messages.toArray()).map((m) => m.conversationId)).toEqual(["c-mine"]);
  });

  it("does not treat a refused handshake as a device conflict while the cookie is someone else's", async () => {
    api = fakeApi(() => other);
    const c = makeClient();
    await c.start();
    // The other account's data is on the server; none of it may reach this user's database.
    serverLog = [convEntry(summary("c-theirs"), 1), msgEntry(message("c-theirs", 1), 2)];
    transport.handlers!.onRefused("conflict");
    await drain();
    expect(api.me).toHaveBeenCalledOnce();
    expect(conflicts).toBe(0);
    expect(lost).toEqual(["user_changed"]);
    expect(transport.closes).toBe(1);
    await vi.advanceTimersByTimeAsync(HTTP_CATCH_UP_MS * 2);
    await drain();
    expect(await db.messages.count()).toBe(0);
    expect(await db.conversations.count()).toBe(0);
    expect(await db.versions.count()).toBe(0);
  });

  it("does not treat a 409 from device registration as a conflict while the cookie is someone else's", async () => {
    api = fakeApi(() => other);
    api.registerDevice.mockRejectedValue(CourierError.conflict("This device id belongs to another account; generate a new one."));
    const c = makeClient();
    await c.start();
    await drain();
    expect(conflicts).toBe(0);
    expect(lost).toEqual(["user_changed"]);
  });

  it("asks for a new device id when /api/me confirms the conflict is about our own account", async () => {
    const c = makeClient();
    await c.start();
    transport.handlers!.onRefused("conflict");
    await drain();
    expect(conflicts).toBe(1);
    expect(lost).toEqual([]);
    expect(transport.closes).toBe(0);
  });
});

describe("the server's settings from hello", () => {
  it("keeps the server's recall window for the message menu, and forgets it when a hello does not say it", async () => {
    const c = makeClient();
    await c.start();
    transport.hello(me.id, zeroVersions(), { recallWindowMs: 600_000 });
    expect(useConnection.getState().recallWindowMs).toBe(600_000);
    transport.hello(me.id); // an older server
    expect(useConnection.getState().recallWindowMs).toBeNull();
    await c.stop();
  });
});

describe("SyncClient.stop", () => {
  it("resolves only once an apply already writing has committed, and nothing is written after", async () => {
    const c = makeClient();
    await c.start();
    transport.hello(me.id);
    const burst = [convEntry(summary("c1"), 1), ...Array.from({ length: 200 }, (_, i) => msgEntry(message("c1", i + 1), i + 2))];
    transport.handlers!.onPush(burst); // the engine starts applying at once
    await c.stop();
    // The transaction in progress has committed in full (neither half-way nor after stop resolved)...
    expect(await db.messages.count()).toBe(200);
    expect((await db.versions.get("chat"))?.v).toBe(201);
    // ...and a late push after stop writes nothing.
    transport.handlers!.onPush([msgEntry(message("c1", 201), 202)]);
    await drain();
    expect(await db.messages.count()).toBe(200);
  });

  it("a flush cut short by stop() and the database closing (a sign-out) reports no failure", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const c = makeClient();
      await c.start();
      transport.hello(me.id); // the outbox is flushed on hello
      await c.stop();
      db.close();
      await drain();
      expect(errors.mock.calls.filter(([text]) => String(text).includes("outbox flush failed"))).toEqual([]);
    } finally {
      errors.mockRestore();
    }
  });

  it("a snapshot answered after stop() does not wipe the data of the client that replaced it", async () => {
    await db.versions.put({ d: "chat", v: 5 });
    let answer!: (snapshot: Snapshot) => void;
    api.snapshot.mockImplementation(() => new Promise<Snapshot>((resolve) => (answer = resolve)));
    const c = makeClient();
    await c.start();
    // The server is behind us (restored from a backup): the engine asks for a snapshot.
    transport.hello(me.id, { chat: 1, system: 0, marketing: 0 });
    await drain();
    expect(api.snapshot).toHaveBeenCalledOnce();

    await c.stop();

    // The replacement client (a new device id, same user) writes newer data to the same database.
    const same = new CourierDb(db.userId);
    await same.open();
    await same.transaction("rw", same.messages, same.versions, async () => {
      await same.messages.put(message("c1", 6));
      await same.versions.put({ d: "chat", v: 6 });
    });

    answer({ heads: { chat: 1, system: 0, marketing: 0 }, conversations: [], messages: {} });
    await drain();
    await vi.advanceTimersByTimeAsync(60_000);
    await drain();

    expect(await same.messages.count()).toBe(1);
    expect((await same.versions.get("chat"))?.v).toBe(6);
    same.close();
  });
});

describe("SyncClient: HTTP catch-up while the transport is down", () => {
  it(`pulls over HTTP every ${HTTP_CATCH_UP_MS / 1000} s while the page is visible, and stops once the transport is back`, async () => {
    const c = makeClient();
    await c.start();
    transport.drop(); // WebSockets do not get through here
    await vi.advanceTimersByTimeAsync(3_000); // the hello grace period's catch-up
    await drain();
    expect(await db.messages.count()).toBe(0);

    // Someone writes to us; no push can arrive.
    serverLog = [convEntry(summary("c1"), 1), msgEntry(message("c1", 1, { body: "are you there?" }), 2)];
    await vi.advanceTimersByTimeAsync(HTTP_CATCH_UP_MS - 3_000 - 1);
    await drain();
    expect(await db.messages.count()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await drain();
    await c.idle();
    expect((await db.messages.toArray()).map((m) => m.body)).toEqual(["are you there?"]);

    // Hidden: no polling.
    page.visibilityState = "hidden";
    serverLog.push(msgEntry(message("c1", 2), 3));
    api.pull.mockClear();
    await vi.advanceTimersByTimeAsync(HTTP_CATCH_UP_MS * 2);
    await drain();
    expect(api.pull).not.toHaveBeenCalled();

    // Visible again and the transport is back: its hello catches up, then no more HTTP polling.
    page.visibilityState = "visible";
    transport.hello(me.id, { chat: 3, system: 0, marketing: 0 });
    await drain();
    await c.idle();
    api.pull.mockClear();
    transport.pull.mockClear();
    await vi.advanceTimersByTimeAsync(HTTP_CATCH_UP_MS * 3);
    await drain();
    expect(api.pull).not.toHaveBeenCalled();

    // Down again: polling resumes and brings in what was written meanwhile; after stop() it ends for good.
    transport.drop();
    serverLog.push(msgEntry(message("c1", 3, { body: "still there?" }), 4));
    await vi.advanceTimersByTimeAsync(HTTP_CATCH_UP_MS);
    await drain();
    await c.idle();
    expect((await db.messages.orderBy("[conversationId+seq]").toArray()).map((m) => m.body)).toEqual(["are you there?", "message 2", "still there?"]);
    expect((await db.versions.get("chat"))?.v).toBe(4);
    await c.stop();
    api.pull.mockClear();
    await vi.advanceTimersByTimeAsync(HTTP_CATCH_UP_MS * 3);
    expect(api.pull).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("SyncClient: cursor-resuming transports (SSE, long-poll)", () => {
  it("gives the transport the consumed versions as its cursor, and answers a reset with a snapshot before it reconnects", async () => {
    await db.versions.put({ d: "chat", v: 4 });
    const c = makeClient();
    await c.start();
    transport.hello(me.id, { chat: 4, system: 0, marketing: 0 });
    expect(transport.handlers!.cursor()).toEqual({ chat: 4, system: 0, marketing: 0 });

    let answer!: (snapshot: Snapshot) => void;
    api.snapshot.mockImplementation(() => new Promise<Snapshot>((resolve) => (answer = resolve)));
    let reconnect = false;
    void Promise.resolve(transport.handlers!.onReset!(["chat"])).then(() => (reconnect = true));
    await drain();
    expect(api.snapshot).toHaveBeenCalledOnce();
    expect(reconnect).toBe(false); // reconnecting now would only hear "reset" again

    answer({ heads: { chat: 2500, system: 3, marketing: 0 }, conversations: [], messages: {} });
    await drain();
    expect(reconnect).toBe(true);
    expect(transport.handlers!.cursor()).toEqual({ chat: 2500, system: 3, marketing: 0 });
  });
});

describe("SyncClient: page signals", () => {
  it("tells the transport whether the page is hidden before connecting, and wakes it when the page is shown or back online", async () => {
    page.visibilityState = "hidden";
    const c = makeClient();
    await c.start();
    expect(transport.hidden).toEqual([true]);
    expect(transport.connects).toBe(1);
    transport.hello(me.id);
    await drain();

    // While the page was hidden, a message was written that no push brought.
    serverLog = [convEntry(summary("c1"), 1), msgEntry(message("c1", 1, { body: "written while hidden" }), 2)];
    page.visibilityState = "visible";
    page.dispatchEvent(new Event("visibilitychange"));
    expect(transport.hidden).toEqual([true, false]);
    expect(transport.wakes).toBe(1); // check the link now
    await drain();
    await c.idle();
    // ...and catch up: it is stored, with the version it came at.
    expect((await db.messages.toArray()).map((m) => m.body)).toEqual(["written while hidden"]);
    expect((await db.versions.get("chat"))?.v).toBe(2);

    (window as unknown as EventTarget).dispatchEvent(new Event("online"));
    expect(transport.wakes).toBe(2);

    await c.stop();
    page.visibilityState = "hidden";
    page.dispatchEvent(new Event("visibilitychange"));
    (window as unknown as EventTarget).dispatchEvent(new Event("online"));
    expect(transport.hidden).toEqual([true, false]);
    expect(transport.wakes).toBe(2);
  });
});

describe("SyncClient: the resync command", () => {
  const COMMAND = "00000000-0000-4000-8000-0000000000c1";

  it("drops local data for the snapshot, keeps the unsent message, sends it once the snapshot landed and reports done", async () => {
    const reportCommand = vi.fn(async () => {});
    api = Object.assign(fakeApi(), { reportCommand });
    const c = makeClient();
    await c.start();
    transport.hello(me.id);
    transport.handlers!.onPush([convEntry(summary("c1"), 1), msgEntry(message("c1", 1), 2)]);
    await drain();
    await c.idle();
    // Offline for sends: the message waits in the outbox (its retry timer never fires: the clock is fake).
    transport.send.mockRejectedValue(new NetworkError());
    api.send.mockRejectedValue(new NetworkError());
    const unsent = await c.outbox.send("c1", "still unsent");
    await drain();
    expect(transport.send).toHaveBeenCalled();
    // Local data the server does not have (damaged, or from a restored server).
    await db.messages.put(message("c1", 9, { body: "stale" }));

    // The link is back for sends; then the admin's command arrives.
    const sent = message("c1", 3, { senderId: ME, clientMsgId: unsent.clientMsgId, body: "still unsent" });
    transport.send.mockReset();
    transport.send.mockResolvedValue(sent as never);
    api.snapshot.mockResolvedValue({ heads: { chat: 3, system: 0, marketing: 0 }, conversations: [summary("c1")], messages: { c1: [message("c1", 1)] } } as Snapshot);
    transport.handlers!.onPush([entry("cmd", { id: COMMAND, name: "resync", args: {} }, 3)]);
    await drain();
    await c.idle();
    await drain();

    expect(api.snapshot).toHaveBeenCalledOnce();
    expect(await db.messages.get("c1-m9")).toBeUndefined();
    // Kept through the snapshot, then sent: the server's copy replaced it.
    expect(transport.send).toHaveBeenCalledWith(expect.objectContaining({ clientMsgId: unsent.clientMsgId, body: "still unsent" }));
    expect(await db.outbox.count()).toBe(0);
    expect((await db.messages.toArray()).map((m) => m.body).sort()).toEqual(["message 1", "still unsent"]);
    expect(reportCommand).toHaveBeenCalledWith(DEVICE, COMMAND, { status: "done" });
    expect(await db.commands.get(COMMAND)).toMatchObject({ status: "done", reported: true });
  });
});

describe("SyncClient: telemetry", () => {
  it("reports what only the app sees to POST /api/telemetry: a pull caused by a hole, an outbox wait (sent when it stops)", async () => {
    const posted: { url: string; body: unknown }[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init: RequestInit) => {
        posted.push({ url, body: JSON.parse(init.body as string) });
        return new Response(null, { status: 204 });
      }),
    );
    const c = makeClient();
    await c.start();
    transport.hello(me.id);
    // Version 2 never pushed: a hole, pulled after the quiet period.
    serverLog = [convEntry(summary("c1"), 1), msgEntry(message("c1", 1), 2), msgEntry(message("c1", 2), 3)];
    transport.handlers!.onPush([serverLog[0]!, serverLog[2]!]);
    await drain();
    await vi.advanceTimersByTimeAsync(5_000);
    await drain();
    await c.idle();
    expect(transport.pull).toHaveBeenCalledOnce();
    expect(c.versions.chat).toBe(3);
    expect(posted).toEqual([]);
    // The page hidden: what waits goes out at once.
    page.visibilityState = "hidden";
    page.dispatchEvent(new Event("visibilitychange"));
    expect(posted).toEqual([{ url: "/api/telemetry", body: { transport: "ws", renderMs: [], holePulls: 1, switches: [], outboxMs: [] } }]);
    // Shown again: a catch-up, not a hole.
    page.visibilityState = "visible";
    page.dispatchEvent(new Event("visibilitychange"));
    await drain();
    expect(transport.pull.mock.calls.length).toBeGreaterThan(1);
    const answer = async (req: { clientMsgId: string }) => message("c1", 3, { senderId: ME, clientMsgId: req.clientMsgId });
    transport.send.mockImplementation(answer as never);
    await c.outbox.send("c1", "hi");
    await drain();
    expect(await db.outbox.count()).toBe(0);

    await c.stop();
    client = null;
    expect(posted.slice(1)).toEqual([{ url: "/api/telemetry", body: { transport: "ws", renderMs: [], holePulls: 0, switches: [], outboxMs: [expect.any(Number)] } }]);
  });
});
