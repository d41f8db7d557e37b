import { describe, expect, it } from "vitest";
import type { Entry } from "../../shared/protocol/index.js";
import type { Appended } from "../storage/storage.js";
import { type Connection, type BusListener, type FanoutBus, Hub } from "./hub.js";

function fakeConnection(id: string, userId: string, sessionId = "s1", deviceId = `d-${id}`) {
  const pushed: Entry[][] = [];
  const closed: string[] = [];
  const retryAfter: (number | undefined)[] = [];
  const conn: Connection = {
    id,
    userId,
    deviceId,
    sessionId,
    transport: "ws",
    push: (e) => pushed.push(e),
    close: (reason, retryAfterMs) => {
      closed.push(reason);
      retryAfter.push(retryAfterMs);
    },
  };
  return { conn, pushed, closed, retryAfter };
}

const entry = (v: number): Entry => ({ d: "chat", v, k: "msg", at: 0, data: {} });

describe("Hub", () => {
  it("pushes each user's entries to all of that user's connections and nobody else's", () => {
    const hub = new Hub();
    const a1 = fakeConnection("1", "alice");
    const a2 = fakeConnection("2", "alice");
    const b = fakeConnection("3", "bob");
    for (const c of [a1, a2, b]) hub.add(c.conn);
    hub.publish([{ userId: "alice", entries: [entry(1), entry(2)] }]);
    expect(a1.pushed).toEqual([[entry(1), entry(2)]]);
    expect(a2.pushed).toEqual([[entry(1), entry(2)]]);
    expect(b.pushed).toEqual([]);
  });

  it("keeps delivering when one connection throws", () => {
    const hub = new Hub(undefined, { warn: () => undefined });
    const broken = fakeConnection("1", "alice");
    broken.conn.push = () => {
      throw new Error("socket gone");
    };
    const ok = fakeConnection("2", "alice");
    hub.add(broken.conn);
    hub.add(ok.conn);
    hub.publish([{ userId: "alice", entries: [entry(1)] }]);
    expect(ok.pushed).toHaveLength(1);
  });

  it("closes by predicate, unregistering what it closes", () => {
    const hub = new Hub();
    const keep = fakeConnection("1", "alice", "s-keep");
    const drop = fakeConnection("2", "alice", "s-drop");
    hub.add(keep.conn);
    hub.add(drop.conn);
    expect(hub.closeWhere((c) => c.sessionId === "s-drop", "logout")).toBe(1);
    expect(drop.closed).toEqual(["logout"]);
    expect(keep.closed).toEqual([]);
    expect(hub.connectionsOf("alice").map((c) => c.id)).toEqual(["1"]);
    hub.remove(keep.conn);
    expect(hub.size).toBe(0);
  });

  it("sends every publish through the bus, so another bus can fan out across processes", () => {
    const published: Appended[] = [];
    let listener: BusListener | null = null;
    const bus: FanoutBus = { publish: (a) => published.push(a), attach: (l) => (listener = l) };
    const hub = new Hub(bus);
    const a = fakeConnection("1", "alice");
    hub.add(a.conn);
    hub.publish([{ userId: "alice", entries: [entry(1)] }]);
    expect(published).toHaveLength(1);
    expect(a.pushed).toEqual([]); // not delivered until the bus says so
    listener!.deliver(published[0]!);
    expect(a.pushed).toEqual([[entry(1)]]);
    hub.publish([]);
    expect(published).toHaveLength(1);
  });

  it("watches a user on the bus while it holds a connection of theirs, and closes what another process asks it to", async () => {
    const events: string[] = [];
    let listener: BusListener | null = null;
    let subscribed = () => {};
    const bus: FanoutBus = {
      publish: () => undefined,
      attach: (l) => (listener = l),
      watch: (userId) => {
        events.push(`watch ${userId}`);
        return new Promise<void>((resolve) => (subscribed = resolve));
      },
      unwatch: (userId) => events.push(`unwatch ${userId}`),
      closeEverywhere: (m, reason) => events.push(`everywhere ${JSON.stringify(m)} ${reason}`),
    };
    const hub = new Hub(bus);
    const a = fakeConnection("1", "alice", "s1");
    const b = fakeConnection("2", "alice", "s2");
    hub.add(a.conn);
    hub.add(b.conn);
    let ready = false;
    const waiting = hub.ready("alice").then(() => (ready = true));
    await Promise.resolve();
    expect(ready).toBe(false); // a transport waits for the subscription before reading heads
    subscribed();
    await waiting;
    expect(ready).toBe(true);

    listener!.closeMatching({ userId: "alice", sessionIds: ["s2"] }, "logout");
    expect(b.closed).toEqual(["logout"]);
    expect(hub.closeEverywhere({ sessionIds: ["s1"] }, "logout")).toBe(1);
    expect(a.closed).toEqual(["logout"]);
    expect(events).toEqual(["watch alice", 'everywhere {"sessionIds":["s1"]} logout', "unwatch alice"]);
  });

  it("remembers per connection the highest version it was told or given, where healing starts", () => {
    const hub = new Hub();
    const a = fakeConnection("1", "alice");
    hub.add(a.conn);
    hub.told(a.conn, { chat: 4, system: 1, marketing: 0 });
    hub.publish([{ userId: "alice", entries: [entry(5), entry(6)] }]);
    expect(hub.givenTo(a.conn)).toEqual({ chat: 6, system: 1, marketing: 0 });
  });

  it("counts live connections per transport as they come and go", () => {
    const hub = new Hub();
    const ws = fakeConnection("1", "alice");
    const sse = { ...fakeConnection("2", "alice").conn, transport: "sse" as const };
    const poll = { ...fakeConnection("3", "bob").conn, transport: "poll" as const };
    for (const c of [ws.conn, sse, poll, poll]) hub.add(c);
    expect(hub.countByTransport()).toEqual({ ws: 1, sse: 1, poll: 1 });
    hub.remove(sse);
    hub.remove(sse);
    hub.closeWhere((c) => c.userId === "bob", "logout");
    expect(hub.countByTransport()).toEqual({ ws: 1, sse: 0, poll: 0 });
  });

  it("tells observers of connections added and removed (with the reason when the server closed them) and of each push", () => {
    const hub = new Hub(undefined, { warn: () => undefined });
    const seen: string[] = [];
    hub.observe({
      added: (c) => seen.push(`added ${c.id}`),
      removed: (c, reason) => seen.push(`removed ${c.id} ${reason}`),
      pushed: (c, entries) => seen.push(`pushed ${c.id} ${entries.map((e) => e.v).join()}`),
    });
    hub.observe({
      added: () => {
        throw new Error("a broken observer");
      },
      removed: () => undefined,
      pushed: () => undefined,
    });
    const a = fakeConnection("1", "alice");
    const b = fakeConnection("2", "alice", "s-out");
    const broken = fakeConnection("3", "alice");
    broken.conn.push = () => {
      throw new Error("socket gone");
    };
    for (const c of [a, b, broken]) hub.add(c.conn);
    hub.publish([{ userId: "alice", entries: [entry(1), entry(2)] }]);
    hub.closeWhere((c) => c.sessionId === "s-out", "logout");
    hub.remove(a.conn);
    hub.remove(a.conn);
    expect(seen).toEqual(["added 1", "added 2", "added 3", "pushed 1 1,2", "pushed 2 1,2", "removed 2 logout", "removed 1 null"]);
  });

  it("asks each connection closed for shutdown to wait its own random time, in [500, 5000] ms; other reasons carry none", () => {
    const draws = [0, 0.5, 0.999999];
    const hub = new Hub(undefined, undefined, { random: () => draws.shift()! });
    const conns = ["1", "2", "3"].map((id) => fakeConnection(id, "alice"));
    const out = fakeConnection("4", "bob");
    for (const c of [...conns, out]) hub.add(c.conn);
    hub.closeWhere((c) => c.userId === "bob", "device_removed");
    expect(out.retryAfter).toEqual([undefined]);
    hub.closeWhere(() => true, "shutdown");
    expect(conns.map((c) => c.retryAfter[0])).toEqual([500, 2750, 5000]);
  });

  it("passes a device's sign of life and heartbeat to that device's connections only", () => {
    const hub = new Hub();
    const alive: string[] = [];
    const pinged: (string | undefined)[] = [];
    const sse = (id: string, deviceId: string): Connection => ({
      ...fakeConnection(id, "alice", "s1", deviceId).conn,
      transport: "sse",
      alive: () => void alive.push(id),
      ping: (echo) => {
        pinged.push(echo);
        return true;
      },
    });
    hub.add(sse("1", "d1"));
    hub.add(sse("2", "d1"));
    hub.add(sse("3", "d2"));
    hub.add(fakeConnection("4", "alice", "s1", "d1").conn); // ws: neither
    hub.touch("alice", "d1");
    expect(alive).toEqual(["1", "2"]);
    expect(hub.ping("alice", "d1", "e1")).toBe(2);
    expect(hub.ping("alice", "d2", undefined)).toBe(1);
    expect(hub.ping("bob", "d1", "x")).toBe(0);
    expect(pinged).toEqual(["e1", "e1", undefined]);
  });
});
