import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CourierError, DOMAINS, type Domain } from "../../../shared/protocol/index.js";
import type { NewEntry, Repos } from "../tx.js";
import type { PostgresEngine } from "./engine.js";
import { databaseUrl, Engines } from "./test-support.js";

const engines = new Engines();

// Without a database every test fails with the sentence that says how to get one.
beforeEach(() => {
  databaseUrl();
});

afterEach(async () => {
  await engines.cleanup();
});

async function withUsers(engine: PostgresEngine, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `u${String(i).padStart(3, "0")}`);
  await engine.write(async (tx) => {
    for (const id of ids) await tx.users.insert({ id, username: `user_${id}`, displayName: id, passwordHash: "h", at: 1 });
  });
  return ids;
}

function shuffled<T>(list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function allVersions(engine: PostgresEngine, userId: string, d: Domain): Promise<number[]> {
  return engine.read(async (r) => (await r.log.range(userId, d, 0, 10_000)).map((e) => e.v));
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("PostgresEngine writes", () => {
  it("keep versions gapless under concurrent fan-outs to the same users in random orders", async () => {
    const engine = await engines.open({ poolSize: 20 });
    const users = await withUsers(engine, 10);
    const writes = await Promise.all(
      range(20).map((w) =>
        engine.write(async (tx) => tx.log.append(shuffled(users).map((userId) => ({ userId, d: "chat", k: "notice", data: { w } })), w)),
      ),
    );
    for (const userId of users) expect(await allVersions(engine, userId, "chat")).toEqual(range(20));
    // Each write's appended entries are what it committed: one per user, and every version handed out once.
    const seen = new Map<string, number[]>();
    for (const { appended } of writes) {
      expect(appended.map((a) => a.userId).sort()).toEqual(users);
      for (const { userId, entries } of appended) seen.set(userId, [...(seen.get(userId) ?? []), ...entries.map((e) => e.v)]);
    }
    for (const userId of users) expect(seen.get(userId)!.sort((a, b) => a - b)).toEqual(range(20));
  });

  it("give each (user, domain) consecutive versions in the order entries were given, across domains", async () => {
    const engine = await engines.open({ poolSize: 10 });
    const users = await withUsers(engine, 6);
    await Promise.all(
      range(12).map((w) =>
        engine.write(async (tx) => {
          const entries: NewEntry[] = shuffled(users.flatMap((userId) => DOMAINS.map((d) => ({ userId, d }))))
            .flatMap(({ userId, d }) => [0, 1].map((i) => ({ userId, d, k: "n", data: { w, i } })));
          const appended = await tx.log.append(entries, w);
          // Within this write, a (user, domain)'s entries count up in input order.
          const last = new Map<string, number>();
          entries.forEach((e, i) => {
            const key = `${e.userId}/${e.d}`;
            if (last.has(key)) expect(appended[i]!.v).toBe(last.get(key)! + 1);
            last.set(key, appended[i]!.v);
          });
        }),
      ),
    );
    for (const userId of users) {
      for (const d of DOMAINS) expect(await allVersions(engine, userId, d)).toEqual(range(24));
      expect(await engine.read(async (r) => r.log.heads(userId))).toEqual({ chat: 24, system: 24, marketing: 24 });
    }
  });

  it("run a rule again when a concurrent transaction inserted the key it checked for (23505)", async () => {
    const engine = await engines.open();
    let checked = 0;
    let releaseBoth: () => void = () => undefined;
    const bothChecked = new Promise<void>((resolve) => (releaseBoth = resolve));
    const attempts = [0, 0];
    const signUp = (who: number) =>
      engine.write(async (tx) => {
        attempts[who]!++;
        // Appended before the conflict: a rolled-back attempt's entries are never handed back.
        await tx.log.append([{ userId: `observer${who}`, d: "system", k: "try", data: { who } }], 1);
        const existing = await tx.users.byUsername("alice");
        if (existing) return { created: false, id: existing.id };
        if (attempts[who] === 1 && ++checked === 2) releaseBoth();
        if (attempts[who] === 1) await bothChecked;
        await tx.users.insert({ id: `id${who}`, username: "alice", displayName: "Alice", passwordHash: "h", at: 1 });
        return { created: true, id: `id${who}` };
      });
    const results = await Promise.all([signUp(0), signUp(1)]);
    expect(results.map((r) => r.result.created).sort()).toEqual([false, true]);
    const winner = results.find((r) => r.result.created)!.result.id;
    expect(results.map((r) => r.result.id)).toEqual([winner, winner]);
    expect(attempts.sort()).toEqual([1, 2]);
    // The retried write appended its entry again; the rolled-back attempt's left no trace (no gap, not handed back).
    for (const [who, r] of results.entries()) {
      expect(r.appended).toEqual([{ userId: `observer${who}`, entries: [{ d: "system", v: 1, k: "try", at: 1, data: { who } }] }]);
      expect(await allVersions(engine, `observer${who}`, "system")).toEqual([1]);
    }
  });

  it("rethrow a CourierError from the rule as it is, keeping nothing", async () => {
    const engine = await engines.open();
    const refusal = CourierError.conflict("That username is taken.");
    await expect(
      engine.write(async (tx) => {
        await tx.users.insert({ id: "u1", username: "alice", displayName: "A", passwordHash: "h", at: 1 });
        await tx.log.append([{ userId: "u1", d: "chat", k: "x", data: {} }], 1);
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect(await engine.read(async (r) => [await r.users.get("u1"), await r.log.head("u1", "chat")])).toEqual([null, 0]);
  });

  it("never commit a transaction whose rule swallowed a database error", async () => {
    const engine = await engines.open();
    await expect(
      engine.write(async (tx) => {
        await tx.users.insert({ id: "u1", username: "alice", displayName: "A", passwordHash: "h", at: 1 });
        // A device of a user that does not exist: foreign key violation, swallowed.
        await Promise.resolve(tx.devices.insert({ id: "d1", userId: "nobody", sessionId: null, at: 1 })).catch(() => undefined);
        return "done";
      }),
    ).rejects.toMatchObject({ code: "23503" });
    expect(await engine.read(async (r) => r.users.get("u1"))).toBeNull();
  });

  it("settle statements a rule starts together (pipelined) in order: the first failure decides, the rest fail with it, nothing is kept", async () => {
    const engine = await engines.open();
    let outcomes: PromiseSettledResult<unknown>[] = [];
    await expect(
      engine.write(async (tx) => {
        // Three statements on the wire at once; the second fails (foreign key), so PostgreSQL refuses the third (25P02).
        outcomes = await Promise.allSettled([
          tx.users.insert({ id: "u1", username: "alice", displayName: "A", passwordHash: "h", at: 1 }),
          tx.devices.insert({ id: "d1", userId: "nobody", sessionId: null, at: 1 }),
          tx.users.insert({ id: "u2", username: "bob", displayName: "B", passwordHash: "h", at: 1 }),
        ]);
        return "done";
      }),
    ).rejects.toMatchObject({ code: "23503" });
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "rejected"]);
    const [, second, third] = outcomes as [unknown, PromiseRejectedResult, PromiseRejectedResult];
    expect(third.reason).toBe(second.reason);
    expect(await engine.read(async (r) => [await r.users.get("u1"), await r.users.get("u2")])).toEqual([null, null]);
    // The connection is fine afterwards.
    await engine.write(async (tx) => tx.users.insert({ id: "u3", username: "carol", displayName: "C", passwordHash: "h", at: 1 }));
    expect(await engine.read(async (r) => (await r.users.get("u3"))?.username)).toBe("carol");
  });

  it("fail a write whose queued statement failed: at the next statement, or at COMMIT when it was the last; nothing is kept", async () => {
    const engine = await engines.open();
    const [a] = await withUsers(engine, 1);
    // A message of a conversation that does not exist: its INSERT is queued (not waited for) and fails on a foreign key.
    const orphan = (id: string) => ({ id, conversationId: "nowhere", seq: 1, senderId: a!, clientMsgId: id, kind: "text" as const, body: "hi", at: 1 });
    let next: unknown = null;
    await expect(
      engine.write(async (tx) => {
        await tx.messages.insert(orphan("m1"));
        // The next statement fails with it (a rule that swallows that still cannot commit).
        next = await Promise.resolve(tx.log.append([{ userId: a!, d: "chat", k: "x", data: {} }], 1)).catch((error: unknown) => error);
        return "done";
      }),
    ).rejects.toMatchObject({ code: "23503" });
    expect(next).toMatchObject({ code: "23503" });
    await expect(engine.write(async (tx) => tx.messages.insert(orphan("m2")))).rejects.toMatchObject({ code: "23503" });
    expect(await engine.read(async (r) => [await r.messages.get("m1"), await r.messages.get("m2"), await r.log.head(a!, "chat")])).toEqual([null, null, 0]);
  });

  it("refuse a queued write from a repository kept past its transaction at once, as a statement would be", async () => {
    const engine = await engines.open();
    const [a] = await withUsers(engine, 1);
    let kept: Repos | null = null;
    await engine.write(async (tx) => void (kept = tx));
    await expect(kept!.conversations.posted("nowhere", a!, 1)).rejects.toThrow(/transaction has ended/);
    await expect(Promise.resolve(kept!.users.get(a!))).rejects.toThrow(/transaction has ended/);
  });

  it("answer 400 for text with a NUL character, in writes and in reads", async () => {
    const engine = await engines.open();
    const nul = { code: "bad_request", status: 400, message: "Text can't contain NUL characters." };
    await expect(
      engine.write(async (tx) => tx.users.insert({ id: "u1", username: "al\u0000ice", displayName: "A", passwordHash: "h", at: 1 })),
    ).rejects.toMatchObject(nul);
    await expect(engine.read(async (r) => r.users.byUsername("a\u0000"))).rejects.toMatchObject(nul);
    // The connection is fine afterwards.
    expect(await engine.read(async (r) => r.users.byUsername("alice"))).toBeNull();
  });

  it("store entry data as JSON text: NUL characters and lone surrogates round-trip", async () => {
    const engine = await engines.open();
    const data = { text: "a\u0000b", lone: "x\ud800y", emoji: "😀", nested: [1, null, { deep: true }] };
    const { result } = await engine.write(async (tx) => tx.log.append([{ userId: "u1", d: "chat", k: "n", data }], 1_700_000_000_123));
    expect(result).toEqual([{ d: "chat", v: 1, k: "n", at: 1_700_000_000_123, data }]);
    const [entry] = await engine.read(async (r) => r.log.range("u1", "chat", 0, 10));
    expect(entry).toEqual({ d: "chat", v: 1, k: "n", at: 1_700_000_000_123, data });
    expect(typeof entry!.at).toBe("number");
  });

  it("trim the ring in steps, keeping at least the newest `ring` entries", async () => {
    const engine = await engines.open({ ringCapacity: 5 });
    for (let i = 1; i <= 23; i++) await engine.write(async (tx) => tx.log.append([{ userId: "u1", d: "chat", k: "n", data: { i } }], i));
    // Trimmed at head 20 (a multiple of min(100, 5)): versions up to 15 are gone, 16..23 kept.
    expect(await allVersions(engine, "u1", "chat")).toEqual([16, 17, 18, 19, 20, 21, 22, 23]);
    // A fan-out that jumps over a multiple (24 → 27 crosses 25) trims too.
    await engine.write(async (tx) => tx.log.append(range(4).map((i) => ({ userId: "u1", d: "chat", k: "n", data: { i } })), 30));
    expect(await allVersions(engine, "u1", "chat")).toEqual([23, 24, 25, 26, 27]);
    // range answers the versions in (after, after + limit] that are kept.
    expect((await engine.read(async (r) => r.log.range("u1", "chat", 0, 23))).map((e) => e.v)).toEqual([23]);
    expect((await engine.read(async (r) => r.log.range("u1", "chat", 22, 3))).map((e) => e.v)).toEqual([23, 24, 25]);
  });

  it("refuse to append inside a read", async () => {
    const engine = await engines.open();
    await expect(engine.read(async (r) => r.log.append([{ userId: "u", d: "chat", k: "n", data: {} }], 1))).rejects.toThrow(
      "Entries can only be appended inside a write.",
    );
  });
});

describe("PostgresEngine reads", () => {
  it("see one state across their statements while writes commit", async () => {
    const engine = await engines.open();
    await withUsers(engine, 1);
    let wrote: () => void = () => undefined;
    const written = new Promise<void>((resolve) => (wrote = resolve));
    const seen = engine.read(async (r: Repos) => {
      const before = await r.log.head("u000", "chat");
      void engine.write(async (tx) => tx.log.append([{ userId: "u000", d: "chat", k: "n", data: {} }], 1)).then(() => wrote());
      await written;
      return [before, await r.log.head("u000", "chat"), (await r.log.range("u000", "chat", 0, 10)).length];
    });
    expect(await seen).toEqual([0, 0, 0]);
    expect(await engine.read(async (r) => r.log.head("u000", "chat"))).toBe(1);
  });

  it("answer numbers for BIGINT columns and counts", async () => {
    const engine = await engines.open();
    await withUsers(engine, 3);
    const answers = await engine.read(async (r) => ({ count: await r.devices.count("u000"), heads: await r.log.heads("u001") }));
    expect(answers).toEqual({ count: 0, heads: { chat: 0, system: 0, marketing: 0 } });
  });
});
