import { describe, expect, it } from "vitest";
import { type Versions, zeroVersions } from "../../shared/protocol/index.js";
import { ACK_TURNS_PER_USER, AckQueue, type AckTurn, ackSlots } from "./ack-queue.js";

/** An apply whose writes finish when the test says so, recording each turn it was given. */
function manualApply() {
  const turns: AckTurn[] = [];
  const pending: { turn: AckTurn; finish: (after?: Versions) => void; fail: (error: Error) => void }[] = [];
  const apply = (turn: AckTurn) =>
    new Promise<Versions>((resolve, reject) => {
      turns.push(turn);
      pending.push({
        turn,
        finish: (after) => resolve(after ?? { ...zeroVersions(), ...turn.acks }),
        fail: reject,
      });
    });
  return { turns, pending, apply };
}

const settle = () => new Promise((r) => setImmediate(r));

describe("AckQueue", () => {
  it("applies a device's acks one write at a time, merging those that wait into one turn of the highest versions", async () => {
    const { turns, pending, apply } = manualApply();
    const q = new AckQueue(Infinity, apply);
    const first = q.submit("u1", "d1", { chat: 3 }, "ws");
    const second = q.submit("u1", "d1", { chat: 5 }, "ws");
    const third = q.submit("u1", "d1", { chat: 4, system: 2 }, "ws");
    await settle();
    // One write for the first ack; the other two wait as one turn (the device's row is one at a time anyway).
    expect(turns).toEqual([{ userId: "u1", deviceId: "d1", acks: { chat: 3 }, transport: "ws" }]);
    pending[0]!.finish();
    expect(await first).toMatchObject({ chat: 3 });
    await settle();
    expect(turns[1]).toEqual({ userId: "u1", deviceId: "d1", acks: { chat: 5, system: 2 }, transport: "ws" });
    pending[1]!.finish();
    // Both callers are answered with the versions of the write that covered their acks.
    expect(await second).toMatchObject({ chat: 5, system: 2 });
    expect(await third).toMatchObject({ chat: 5, system: 2 });
    expect(turns).toHaveLength(2);
    expect(q.queued).toBe(0);
  });

  it("runs at most `slots` writes at once, devices in the order their acks came, never two of one device", async () => {
    const { turns, pending, apply } = manualApply();
    const q = new AckQueue(2, apply);
    const answers = [q.submit("u1", "a", { chat: 1 }), q.submit("u2", "b", { chat: 1 }), q.submit("u3", "c", { chat: 1 }), q.submit("u1", "a", { chat: 2 }), q.submit("u4", "d", { chat: 1 })];
    await settle();
    expect(turns.map((t) => t.deviceId)).toEqual(["a", "b"]);
    expect(q.queued).toBe(3);
    // a finishes: its next turn waits behind c, which came first.
    pending[0]!.finish();
    await settle();
    expect(turns.map((t) => t.deviceId)).toEqual(["a", "b", "c"]);
    pending[1]!.finish();
    await settle();
    expect(turns.map((t) => t.deviceId)).toEqual(["a", "b", "c", "a"]);
    pending[2]!.finish();
    pending[3]!.finish();
    await settle();
    expect(turns.map((t) => t.deviceId)).toEqual(["a", "b", "c", "a", "d"]);
    pending[4]!.finish();
    expect((await Promise.all(answers)).map((v) => v.chat)).toEqual([1, 1, 1, 2, 1]);
  });

  it("keeps another user's claim to the same device id apart, and says no transport when merged acks came different ways", async () => {
    const { turns, pending, apply } = manualApply();
    const q = new AckQueue(Infinity, apply);
    void q.submit("u1", "d1", { chat: 1 }, "ws");
    void q.submit("u2", "d1", { chat: 9 }, "ws");
    void q.submit("u1", "d1", { chat: 2 }, "ws");
    void q.submit("u1", "d1", { chat: 3 }, "poll");
    await settle();
    expect(turns.map((t) => [t.userId, t.acks.chat])).toEqual([
      ["u1", 1],
      ["u2", 9],
    ]);
    pending[0]!.finish();
    await settle();
    expect(turns[2]).toEqual({ userId: "u1", deviceId: "d1", acks: { chat: 3 } });
  });

  it("refuses every ack of a failed turn and goes on with the next ones", async () => {
    const { pending, apply } = manualApply();
    const q = new AckQueue(1, apply);
    const a1 = q.submit("u1", "a", { chat: 1 });
    const b = q.submit("u2", "b", { chat: 1 });
    const a2 = q.submit("u1", "a", { chat: 2 });
    await settle();
    pending[0]!.fail(new Error("unknown device"));
    await expect(a1).rejects.toThrow("unknown device");
    await settle();
    pending[1]!.finish();
    await settle();
    pending[2]!.fail(new Error("unavailable"));
    await expect(b).resolves.toMatchObject({ chat: 1 });
    await expect(a2).rejects.toThrow("unavailable");
    // A rule that throws before returning a promise is a refusal too, not a stuck queue.
    const throwing = new AckQueue(1, () => {
      throw new Error("sync failure");
    });
    await expect(throwing.submit("u1", "a", { chat: 1 })).rejects.toThrow("sync failure");
    expect(throwing.queued).toBe(0);
  });

  it("caps ack writes on PostgreSQL at what the reads' half of the pool leaves, less one for sends, and not on SQLite", () => {
    expect(ackSlots({ databaseUrl: null, databasePoolMax: 10 })).toBe(Infinity);
    const pg = (databasePoolMax: number) => ackSlots({ databaseUrl: "postgres://x", databasePoolMax });
    expect([1, 2, 3, 4, 5, 10, 11].map(pg)).toEqual([1, 1, 1, 1, 2, 4, 5]);
  });

  it("refuses at once an ack for one more device of a user who already has eight waiting, and takes it again once they are answered", async () => {
    const { pending, apply } = manualApply();
    const q = new AckQueue(1, apply);
    void q.submit("someone", "theirs", { chat: 1 });
    const waiting = Array.from({ length: ACK_TURNS_PER_USER }, (_, i) => q.submit("u1", `made-up-${i}`, { chat: 1 }));
    await expect(q.submit("u1", "one-more", { chat: 1 })).rejects.toMatchObject({ code: "rate_limited" });
    // A device already waiting merges as before; another user is not held back.
    const merged = q.submit("u1", "made-up-0", { chat: 2 });
    const other = q.submit("u2", "d", { chat: 1 });
    expect(q.queued).toBe(ACK_TURNS_PER_USER + 1);
    for (let i = 0; i < ACK_TURNS_PER_USER + 2; i++) {
      await settle();
      pending[i]!.finish();
    }
    await expect(merged).resolves.toMatchObject({ chat: 2 });
    await Promise.all([...waiting, other]);
    await expect(Promise.race([q.submit("u1", "one-more", { chat: 1 }), settle().then(() => "started")])).resolves.toBe("started");
  });

  it("on close, refuses new acks as unavailable and resolves once the acks it had taken are written", async () => {
    const { pending, apply } = manualApply();
    const q = new AckQueue(1, apply);
    const taken = [q.submit("u1", "a", { chat: 1 }), q.submit("u2", "b", { chat: 1 })];
    await settle();
    let closed = false;
    const closing = q.close().then(() => (closed = true));
    await expect(q.submit("u3", "c", { chat: 1 })).rejects.toMatchObject({ code: "unavailable" });
    pending[0]!.finish();
    await settle();
    expect(closed).toBe(false);
    pending[1]!.finish();
    await closing;
    await expect(Promise.all(taken)).resolves.toHaveLength(2);
    await expect(new AckQueue(1, apply).close()).resolves.toBeUndefined();
  });

  it("with no cap, starts a device's ack at once and its waiting turn as soon as its write ends, whatever else waits", async () => {
    const { turns, pending, apply } = manualApply();
    const q = new AckQueue(Infinity, apply);
    for (let i = 0; i < 50; i++) void q.submit(`u${i}`, "d", { chat: 1 });
    for (let i = 0; i < 50; i++) void q.submit(`u${i}`, "d", { chat: 2 });
    await settle();
    expect(turns).toHaveLength(50);
    expect(q.queued).toBe(50);
    pending[49]!.finish();
    await settle();
    expect(turns.at(-1)).toMatchObject({ userId: "u49", acks: { chat: 2 } });
    expect(q.queued).toBe(49);
  });
});
