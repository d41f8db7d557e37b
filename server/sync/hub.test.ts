import { describe, expect, it } from "vitest";
import type { Entry } from "../../shared/protocol/index.js";
import type { Appended } from "../storage/storage.js";
import { type Connection, type FanoutBus, Hub } from "./hub.js";

function fakeConnection(id: string, userId: string, sessionId = "s1", deviceId = `d-${id}`) {
  const pushed: Entry[][] = [];
  const closed: string[] = [];
  const conn: Connection = {
    id,
    userId,
    deviceId,
    sessionId,
    transport: "ws",
    push: (e) => pushed.push(e),
    close: (reason) => closed.push(reason),
  };
  return { conn, pushed, closed };
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
    let deliver: (a: Appended) => void = () => undefined;
    const bus: FanoutBus = { publish: (a) => published.push(a), subscribe: (d) => (deliver = d) };
    const hub = new Hub(bus);
    const a = fakeConnection("1", "alice");
    hub.add(a.conn);
    hub.publish([{ userId: "alice", entries: [entry(1)] }]);
    expect(published).toHaveLength(1);
    expect(a.pushed).toEqual([]); // not delivered until the bus says so
    deliver(published[0]!);
    expect(a.pushed).toEqual([[entry(1)]]);
    hub.publish([]);
    expect(published).toHaveLength(1);
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
});
