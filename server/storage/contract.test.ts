import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CreateConversation, Domain, Entry, Message, Summary, User, Versions } from "../../shared/protocol/index.js";
import { campaignStep } from "../admin/campaigns.js";
import { createUser, renameUser } from "../auth/accounts.js";
import type { Context } from "../context.js";
import { listSummaries, openConversation, summaryFor } from "../conversations/conversations.js";
import { acceptRequest, addMembers, leaveGroup, removeMember } from "../conversations/groups.js";
import { upsertDevice } from "../devices/registry.js";
import { sendMessage } from "../messages/messages.js";
import { advanceOrder, createOrder } from "../orders/orders.js";
import { Events } from "../observability/events.js";
import { markRead } from "../receipts/receipts.js";
import { ack, deviceAcks, snapshot, syncReader } from "../sync/log.js";
import { pull as pullService } from "../sync/service.js";
import { openTestStorage, type EngineKind } from "../testing/engines.js";
import { follow, unfollow } from "../users/follows.js";
import { PostgresEngine } from "./postgres/engine.js";
import type { Storage } from "./storage.js";

/**
 * The storage contract: the rules (written once, above storage) on every
 * engine. The same cases run on SQLite and on PostgreSQL; what passes on one
 * must pass on the other. PostgreSQL comes from TEST_DATABASE_URL, which
 * `npm test` provides; without it these cases fail, they are never skipped.
 */
const ENGINES: EngineKind[] = ["sqlite", "postgres"];

describe.each(ENGINES)("storage contract on %s", (kind) => {
  let storage: Storage;
  let dispose: (() => Promise<void>) | undefined;
  let ring = 2000;

  const open = async (ringCapacity = 2000) => {
    ({ storage, dispose } = await openTestStorage(kind, ringCapacity));
    ring = ringCapacity;
  };
  beforeEach(async () => open());
  afterEach(async () => {
    await dispose?.();
    dispose = undefined;
  });

  // The operations as the routes run them: one rule in one write (or read).
  const user = (username: string, at = 1) =>
    storage.write((tx) => createUser(tx, { username, displayName: username.toUpperCase(), passwordHash: "x", at }));
  const users = async (n: number, prefix = "u") => {
    const list: User[] = [];
    for (let i = 0; i < n; i++) list.push(await user(`${prefix}${i}`));
    return list;
  };
  const conversation = async (userId: string, input: CreateConversation, at = 2) =>
    (await storage.write((tx) => openConversation(tx, userId, input, at))).summary.conversationId;
  /** A group whose members follow its creator, so they are members at once (strangers would get a request: docs/groups.md). */
  const groupOfFollowers = async (creatorId: string, memberIds: string[], title: string) => {
    await storage.write(async (tx) => {
      for (const id of memberIds) if (id !== creatorId) await tx.follows.insert(id, creatorId, 1, null);
    });
    return conversation(creatorId, { type: "group", title, memberIds });
  };
  const send = (senderId: string, conversationId: string, body = "hi", clientMsgId: string = randomUUID()) =>
    storage.writeAppending((tx) => sendMessage(tx, senderId, { clientMsgId, conversationId, kind: "text", body }, 3));
  const device = async (userId: string) => {
    const deviceId = randomUUID();
    await storage.write((tx) => upsertDevice(tx, { userId, deviceId, sessionId: null, at: 1 }));
    return deviceId;
  };
  const heads = (userId: string): Promise<Versions> => storage.read(async (r) => r.log.heads(userId));
  const pull = (userId: string, d: Domain, after: number, limit = 500) => syncReader(storage).pull(userId, d, after, limit);
  const append = (userId: string, d: Domain, n: number, at = 1) =>
    storage.write(async (tx) => tx.log.append(Array.from({ length: n }, (_, i) => ({ userId, d, k: "notice", data: { i } })), at));
  const versions = (entries: Entry[]) => entries.map((e) => e.v);
  /** Transactions PostgreSQL aborted as deadlocked (and the engine ran again): rules that lock in one order cause none. */
  const deadlocks = () => (storage.engine instanceof PostgresEngine ? storage.engine.stats.conflicts.deadlock : 0);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it("appends contiguous versions per (user, domain) and trims the ring without breaking pulls", async () => {
    await dispose?.();
    await open(3);
    const a = await user("alice");
    for (let i = 0; i < 10; i++) await append(a.id, "marketing", 1, i);
    await append(a.id, "system", 1);
    expect(await heads(a.id)).toEqual({ chat: 0, system: 1, marketing: 10 });
    const pulled = await pull(a.id, "marketing", 7);
    expect(pulled.entries.map((e) => [e.v, (e.data as { i: number }).i])).toEqual([[8, 0], [9, 0], [10, 0]]);
    expect(pulled).toMatchObject({ head: 10, reset: false });
    // Older than the ring: reset, never a page with a gap.
    expect(await pull(a.id, "marketing", 6)).toMatchObject({ entries: [], head: 10, reset: true });
    expect(await pull(a.id, "marketing", 10)).toMatchObject({ entries: [], head: 10, reset: false });
    expect(ring).toBe(3);
  });

  it("answers a sparse pull with only the versions asked for, from the same page", async () => {
    const a = await user("alice");
    await append(a.id, "system", 10);
    const ctx = { sync: syncReader(storage), events: new Events(), clock: () => 1 } as unknown as Context;
    const page = await pullService(ctx, a.id, null, { d: "system", after: 2, only: "4,6-8" });
    expect(versions(page.entries)).toEqual([4, 6, 7, 8]);
    expect(page).toMatchObject({ head: 10, reset: false });
  });

  it("reads a device's acked versions, which only move forward and never past the head", async () => {
    const [a, b] = await users(2);
    const dev = await device(a!.id);
    await append(a!.id, "system", 3);
    await storage.write((tx) => ack(tx, a!.id, dev, { system: 2 }, 3));
    await storage.write((tx) => ack(tx, a!.id, dev, { system: 1, chat: 99 }, 4));
    const read = (userId: string, deviceId: string) => storage.read((r) => deviceAcks(r, userId, deviceId));
    expect(await read(a!.id, dev)).toEqual({ chat: 0, system: 2, marketing: 0 });
    expect(await read(b!.id, dev)).toEqual({ chat: 0, system: 0, marketing: 0 });
    await expect(storage.write((tx) => ack(tx, b!.id, dev, { system: 1 }, 5))).rejects.toMatchObject({ code: "forbidden" });
  });

  it("rolls back everything a rule did when it fails, and publishes nothing", async () => {
    const a = await user("alice");
    const published: unknown[] = [];
    storage.onCommit((appended) => published.push(appended));
    await expect(conversation(a.id, { type: "group", title: "G", memberIds: [randomUUID()] })).rejects.toMatchObject({ code: "not_found" });
    expect(await storage.read((r) => listSummaries(r, a.id))).toEqual([]);
    expect(await heads(a.id)).toEqual({ chat: 0, system: 0, marketing: 0 });
    expect(published).toEqual([]);
  });

  it("hands every committed write's entries to the commit listeners, once", async () => {
    const [a, b] = await users(2);
    // One call per committed write, each with every user's entries (users in any order).
    const published: string[][] = [];
    storage.onCommit((appended) => published.push(appended.map((u) => `${u.userId}:${u.entries.map((e) => e.k).join(",")}`).sort()));
    const conv = await conversation(a!.id, { type: "direct", peerId: b!.id });
    await send(a!.id, conv);
    // The peer's conv entry comes with the first message (docs/protocol.md "The conversation list").
    expect(published).toEqual([[`${a!.id}:conv`], [`${a!.id}:msg`, `${b!.id}:conv,msg`].sort()]);
  });

  it("refuses a taken username, also when two sign-ups race for it", async () => {
    const results = await Promise.allSettled([user("racer"), user("racer"), user("racer")]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results.filter((x) => x.status === "rejected")) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "conflict" });
  });

  it("renames a user and changes a password hash; a rename racing a message announces the new name last", async () => {
    const [a, b] = await users(2, "acct");
    const conversationId = await conversation(a!.id, { type: "direct", peerId: b!.id });
    await send(a!.id, conversationId);
    await Promise.all([storage.write((tx) => renameUser(tx, a!.id, "Ada Lovelace", 4)), send(b!.id, conversationId)]);
    const stored = await storage.read(async (r) => r.users.get(a!.id));
    expect(stored?.displayName).toBe("Ada Lovelace");
    const convs = (await pull(b!.id, "chat", 0)).entries.filter((e) => e.k === "conv");
    const last = (convs.at(-1)!.data as { summary: Summary }).summary;
    expect(last.members?.find((m) => m.id === a!.id)?.displayName).toBe("Ada Lovelace");

    await storage.write(async (tx) => tx.users.setPasswordHash(a!.id, "new-hash"));
    expect((await storage.read(async (r) => r.users.byUsername(a!.username)))?.passwordHash).toBe("new-hash");
    expect((await storage.read(async (r) => r.users.byUsername(b!.username)))?.passwordHash).toBe("x");
  });

  it("opens a direct chat once per pair, also when both open it at once", async () => {
    const [a, b] = await users(2);
    const ids = await Promise.all([
      conversation(a!.id, { type: "direct", peerId: b!.id }),
      conversation(b!.id, { type: "direct", peerId: a!.id }),
      conversation(a!.id, { type: "direct", peerId: b!.id }),
    ]);
    expect(new Set(ids).size).toBe(1);
    expect((await pull(a!.id, "chat", 0)).entries.filter((e) => e.k === "conv")).toHaveLength(1);
  });

  it("20 concurrent senders into one group: every member's versions are 1..N with no gap or repeat, seqs unique", async () => {
    const members = await users(20, "m");
    const conv = await groupOfFollowers(members[0]!.id, members.map((m) => m.id), "Busy");
    const before = new Map<string, number>();
    for (const m of members) before.set(m.id, (await heads(m.id)).chat);
    const sends = members.flatMap((m) => [0, 1, 2].map((i) => send(m.id, conv, `${m.username} ${i}`)));
    const sent = (await Promise.all(sends)).map((s) => s.result.message);
    expect(sent.map((m) => m.seq).sort((x, y) => x - y)).toEqual(range(1, 60));
    for (const m of members) {
      const entries = (await pull(m.id, "chat", 0)).entries;
      expect(versions(entries)).toEqual(range(1, entries.length));
      const msgs = entries.filter((e) => e.k === "msg").map((e) => (e.data as { message: Message }).message.seq);
      expect(msgs).toEqual(range(1, 60)); // each member sees the messages in seq order, each once
      expect((await heads(m.id)).chat).toBe(before.get(m.id)! + 60);
    }
    expect(deadlocks()).toBe(0);
  });

  it("is idempotent on (sender, clientMsgId), also under concurrent repeats", async () => {
    const [a, b] = await users(2);
    const conv = await conversation(a!.id, { type: "direct", peerId: b!.id });
    const clientMsgId = randomUUID();
    const repeats = await Promise.all(Array.from({ length: 8 }, () => send(a!.id, conv, "once", clientMsgId)));
    expect(new Set(repeats.map((r) => r.result.message.id)).size).toBe(1);
    expect(repeats.filter((r) => r.result.created)).toHaveLength(1);
    expect(repeats.filter((r) => !r.result.created).every((r) => r.appended.length === 0)).toBe(true);
    const later = await send(a!.id, conv, "other text", clientMsgId);
    expect(later.result).toMatchObject({ created: false, message: { body: "once", seq: 1 } });
    expect((await pull(b!.id, "chat", 0)).entries.filter((e) => e.k === "msg")).toHaveLength(1);
  });

  it("checks membership on every read and write of a conversation", async () => {
    const [a, b, c] = await users(3);
    const conv = await conversation(a!.id, { type: "direct", peerId: b!.id });
    await expect(send(c!.id, conv)).rejects.toMatchObject({ code: "forbidden" });
    await expect(send(c!.id, randomUUID())).rejects.toMatchObject({ code: "not_found" });
    await expect(storage.write((tx) => markRead(tx, c!.id, conv, 1, 4))).rejects.toMatchObject({ code: "forbidden" });
    expect(await heads(a!.id)).toEqual({ chat: 1, system: 0, marketing: 0 });
  });

  it("keeps summaries true: last message, unread counts, read positions that only move forward", async () => {
    const [a, b] = await users(2);
    const conv = await conversation(a!.id, { type: "direct", peerId: b!.id });
    for (const body of ["one", "two", "three"]) await send(a!.id, conv, body);
    const bView = async () => (await storage.read((r) => listSummaries(r, b!.id)))[0]!;
    expect(await bView()).toMatchObject({ unread: 3, readSeq: 0, lastMessage: { body: "three", seq: 3 } });
    await storage.write((tx) => markRead(tx, b!.id, conv, 2, 5));
    await storage.write((tx) => markRead(tx, b!.id, conv, 1, 6));
    expect(await bView()).toMatchObject({ unread: 1, readSeq: 2 });
    await storage.write((tx) => markRead(tx, b!.id, conv, 99, 7));
    expect(await bView()).toMatchObject({ unread: 0, readSeq: 3 });
    const reads = (await pull(a!.id, "chat", 0)).entries.filter((e) => e.k === "read").map((e) => e.data);
    expect(reads).toEqual([
      { conversationId: conv, userId: b!.id, seq: 2 },
      { conversationId: conv, userId: b!.id, seq: 3 },
    ]);
  });

  it("takes a snapshot: heads, summaries and the newest messages, one consistent picture", async () => {
    const [a, b] = await users(2);
    const conv = await conversation(a!.id, { type: "direct", peerId: b!.id });
    for (let i = 0; i < 3; i++) await send(a!.id, conv, `m${i}`);
    const snap = await storage.read((r) => snapshot(r, b!.id));
    expect(snap.heads).toEqual(await heads(b!.id));
    expect(snap.conversations.map((s) => s.conversationId)).toEqual([conv]);
    expect(snap.messages[conv]!.map((m) => m.body)).toEqual(["m0", "m1", "m2"]);
  });

  it("sends a delivered receipt only to the senders of the newly delivered messages, once", async () => {
    const list = await users(12, "g");
    const [x, y, z, ...rest] = list;
    const conv = await groupOfFollowers(x!.id, list.map((u) => u.id), "Twelve");
    const first = await send(x!.id, conv, "hi all");
    const headsBefore = new Map<string, number>();
    for (const u of list) headsBefore.set(u.id, (await heads(u.id)).chat);
    for (const u of [y!, z!, ...rest]) {
      const dev = await device(u.id);
      await storage.write((tx) => ack(tx, u.id, dev, { chat: headsBefore.get(u.id)! }, 5));
    }
    const toX = (await pull(x!.id, "chat", headsBefore.get(x!.id)!)).entries;
    expect(toX.every((e) => e.k === "delivered" && (e.data as { seq: number }).seq === first.result.message.seq)).toBe(true);
    expect(new Set(toX.map((e) => (e.data as { userId: string }).userId))).toEqual(new Set([y!, z!, ...rest].map((u) => u.id)));
    for (const u of [y!, z!, ...rest]) expect((await heads(u.id)).chat).toBe(headsBefore.get(u.id));

    // Several senders each learn it once; acking again adds nothing.
    const zDevice = await device(z!.id);
    const [yHead, xHead] = [(await heads(y!.id)).chat, (await heads(x!.id)).chat];
    await send(y!.id, conv, "me too");
    await send(x!.id, conv, "and me");
    const zHead = (await heads(z!.id)).chat;
    await storage.write((tx) => ack(tx, z!.id, zDevice, { chat: zHead }, 9));
    await storage.write((tx) => ack(tx, z!.id, zDevice, { chat: zHead }, 10));
    const delivered = async (userId: string, after: number) => (await pull(userId, "chat", after)).entries.filter((e) => e.k === "delivered").map((e) => e.data);
    expect(await delivered(y!.id, yHead)).toEqual([{ conversationId: conv, userId: z!.id, seq: 3 }]);
    expect(await delivered(x!.id, xHead)).toEqual([{ conversationId: conv, userId: z!.id, seq: 3 }]);
  });

  it("two tabs marking read at once announce each position once, in order", async () => {
    const [a, b] = await users(2);
    const conv = await conversation(a!.id, { type: "direct", peerId: b!.id });
    for (let i = 0; i < 6; i++) await send(a!.id, conv, `m${i}`);
    await Promise.all([3, 5, 3, 5, 6, 6].map((seq, i) => storage.write((tx) => markRead(tx, b!.id, conv, seq, 10 + i))));
    const reads = (await pull(a!.id, "chat", 0)).entries.filter((e) => e.k === "read").map((e) => (e.data as { seq: number }).seq);
    expect(reads).toEqual([...new Set(reads)].sort((x, y) => x - y));
    expect(reads.at(-1)).toBe(6);
  });

  it("two devices of one user acking at once give the sender one delivered receipt", async () => {
    const [a, b] = await users(2);
    const conv = await conversation(a!.id, { type: "direct", peerId: b!.id });
    await send(a!.id, conv);
    const [d1, d2, d3] = [await device(b!.id), await device(b!.id), await device(b!.id)];
    const head = (await heads(b!.id)).chat;
    await Promise.all([d1, d2, d3].map((d) => storage.write((tx) => ack(tx, b!.id, d!, { chat: head }, 5))));
    const delivered = (await pull(a!.id, "chat", 0)).entries.filter((e) => e.k === "delivered");
    expect(delivered.map((e) => e.data)).toEqual([{ conversationId: conv, userId: b!.id, seq: 1 }]);
  });

  it("a user sending while their other devices ack and mark read: no deadlock, every version once", async () => {
    const [a, b] = await users(2);
    const conv = await conversation(a!.id, { type: "direct", peerId: b!.id });
    const bDevice = await device(b!.id);
    const aDevice = await device(a!.id);
    for (let round = 0; round < 15; round++) {
      const [bHead, aHead] = [(await heads(b!.id)).chat, (await heads(a!.id)).chat];
      await Promise.all([
        send(b!.id, conv, `b${round}`),
        send(a!.id, conv, `a${round}`),
        storage.write((tx) => ack(tx, b!.id, bDevice, { chat: bHead }, 6)),
        storage.write((tx) => ack(tx, a!.id, aDevice, { chat: aHead }, 6)),
        storage.write((tx) => markRead(tx, b!.id, conv, 2 * round, 6)),
      ]);
    }
    expect(deadlocks()).toBe(0);
    for (const u of [a!, b!]) {
      const entries = (await pull(u.id, "chat", 0)).entries;
      expect(versions(entries)).toEqual(range(1, entries.length));
    }
  });

  it("two new devices of one user at once stay within the device cap", async () => {
    const a = await user("alice");
    const first = [randomUUID(), randomUUID()];
    for (const [i, deviceId] of first.entries()) await storage.write((tx) => upsertDevice(tx, { userId: a.id, deviceId, sessionId: null, at: i, maxDevices: 2 }));
    const results = await Promise.all(
      [randomUUID(), randomUUID()].map((deviceId) => storage.write((tx) => upsertDevice(tx, { userId: a.id, deviceId, sessionId: null, at: 5, maxDevices: 2 }))),
    );
    expect(await storage.read(async (r) => r.devices.count(a.id))).toBe(2);
    expect(results.flatMap((r) => r.evicted).sort()).toEqual([...first].sort());
  });

  it("runs the order flow bought → shipped → received, each step once, by the right party only", async () => {
    const [seller, buyer, other] = await users(3);
    const itemId = randomUUID();
    await storage.write(async (tx) => tx.items.insert({ id: itemId, sellerId: seller!.id, at: 1, title: "Lamp", priceCents: 1200 }));
    // Two buyers at once: one order, the other finds it sold.
    const buys = await Promise.allSettled([
      storage.write((tx) => createOrder(tx, buyer!.id, itemId, 2)),
      storage.write((tx) => createOrder(tx, other!.id, itemId, 2)),
    ]);
    const won = buys.filter((b) => b.status === "fulfilled");
    expect(won).toHaveLength(1);
    expect((buys.find((b) => b.status === "rejected") as PromiseRejectedResult).reason).toMatchObject({ code: "conflict" });
    const order = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof createOrder>>>).value;
    const buyerId = order.buyerId;
    await expect(storage.write((tx) => createOrder(tx, seller!.id, itemId, 3))).rejects.toMatchObject({ code: "bad_request" });
    await expect(storage.write((tx) => advanceOrder(tx, buyerId, order.id, "shipped", 3))).rejects.toMatchObject({ code: "forbidden" });
    await expect(storage.write((tx) => advanceOrder(tx, buyerId, order.id, "received", 3))).rejects.toMatchObject({ code: "conflict" });
    // The seller marks it shipped twice at once: it happens once.
    const ships = await Promise.allSettled([
      storage.write((tx) => advanceOrder(tx, seller!.id, order.id, "shipped", 4)),
      storage.write((tx) => advanceOrder(tx, seller!.id, order.id, "shipped", 4)),
    ]);
    expect(ships.filter((s) => s.status === "fulfilled")).toHaveLength(1);
    expect(await storage.write((tx) => advanceOrder(tx, buyerId, order.id, "received", 5))).toMatchObject({ status: "received" });
    const steps = (await pull(buyerId, "system", 0)).entries.map((e) => (e.data as { order: { status: string } }).order.status);
    expect(steps).toEqual(["bought", "shipped", "received"]);
    const messages = (await pull(seller!.id, "chat", 0)).entries.filter((e) => e.k === "msg").map((e) => (e.data as { message: Message }).message);
    expect(messages.map((m) => [m.seq, m.kind])).toEqual([[1, "system"], [2, "system"], [3, "system"]]);
  });

  it("a campaign stepped by two runners at once reaches each user who existed when it was created exactly once", async () => {
    const list = await users(7, "c");
    const { campaign } = await storage.write(async (tx) => tx.campaigns.open({ id: randomUUID(), key: "k1", fingerprint: "f", title: "Sale", body: "Now" }, 5));
    const again = await storage.write(async (tx) => tx.campaigns.open({ id: randomUUID(), key: "k1", fingerprint: "f", title: "Sale", body: "Now" }, 5));
    expect(again).toMatchObject({ created: false, campaign: { id: campaign.id } });
    const late = await user("late", 6);
    const runner = async () => {
      const reached: string[] = [];
      for (;;) {
        const step = await storage.writeAppending((tx) => campaignStep(tx, campaign.id, 1, 7));
        reached.push(...step.appended.map((u) => u.userId));
        if (step.result.done) return { reached, recipients: step.result.recipients };
      }
    };
    const [a, b] = await Promise.all([runner(), runner()]);
    expect([...a.reached, ...b.reached].sort()).toEqual(list.map((u) => u.id).sort());
    expect(Math.max(a.recipients, b.recipients)).toBe(7);
    for (const u of list) expect((await pull(u.id, "marketing", 0)).entries).toHaveLength(1);
    expect((await pull(late.id, "marketing", 0)).entries).toHaveLength(0);
  });

  it("notifies a follow once, and not again for a re-follow within a day", async () => {
    const [a, b] = await users(2);
    expect(await storage.write((tx) => follow(tx, a!.id, b!.id, 1))).toMatchObject({ created: true, followee: { id: b!.id } });
    expect(await storage.write((tx) => follow(tx, a!.id, b!.id, 2))).toMatchObject({ created: false });
    expect(await storage.write((tx) => unfollow(tx, a!.id, b!.id, 3))).toBe(true);
    expect(await storage.write((tx) => unfollow(tx, a!.id, b!.id, 4))).toBe(false);
    expect(await storage.write((tx) => follow(tx, a!.id, b!.id, 5))).toMatchObject({ created: true });
    const notices = (await pull(b!.id, "system", 0)).entries.filter((e) => e.k === "notice");
    expect(notices.map((e) => e.data)).toEqual([{ type: "follow", user: { id: a!.id, username: a!.username, displayName: a!.displayName } }]);
    await expect(storage.write((tx) => follow(tx, a!.id, randomUUID(), 6))).rejects.toMatchObject({ code: "not_found" });
  });

  it("groups: a stranger's add is a silent request; accept, leave and removal reach every member and whoever went", async () => {
    const [a, b, c, d] = await users(4);
    await storage.write((tx) => follow(tx, b!.id, a!.id, 1));
    const g = await conversation(a!.id, { type: "group", title: "Trip", memberIds: [b!.id, c!.id] });
    const mine = (u: User) => storage.read((r) => summaryFor(r, u.id, g));
    expect((await mine(b!)).membership).toBe("member");
    expect((await mine(c!)).membership).toBe("request");
    // A request can't post; a member can; the request still receives (to decide).
    await expect(send(c!.id, g)).rejects.toMatchObject({ code: "forbidden" });
    await send(b!.id, g, "hello");
    expect((await pull(c!.id, "chat", 0)).entries.map((e) => e.k)).toEqual(["conv", "msg"]);
    await storage.write((tx) => acceptRequest(tx, c!.id, g, 4));
    expect((await mine(c!)).membership).toBe("member");

    const convTo = (appended: { userId: string; entries: Entry[] }[]) =>
      Object.fromEntries(appended.map((u) => [u.userId, u.entries.filter((e) => e.k === "conv").map((e) => (e.data as { summary: Summary }).summary.membership)]));
    const added = await storage.writeAppending((tx) => addMembers(tx, a!.id, g, [d!.id, b!.id], 5));
    expect(added.result.added).toBe(1);
    const removed = await storage.writeAppending((tx) => removeMember(tx, a!.id, g, d!.id, 6));
    expect(convTo(removed.appended)[d!.id]).toEqual(["removed"]);
    const left = await storage.writeAppending((tx) => leaveGroup(tx, b!.id, g, 7));
    expect(convTo(left.appended)).toEqual({ [a!.id]: ["member"], [b!.id]: ["left"], [c!.id]: ["member"] });
    await expect(storage.read((r) => summaryFor(r, b!.id, g))).rejects.toMatchObject({ code: "forbidden" });
    expect((await storage.read((r) => listSummaries(r, b!.id))).map((x) => x.conversationId)).not.toContain(g);

    // The last two go: the group ends, and no one can add to it.
    await storage.write((tx) => leaveGroup(tx, c!.id, g, 8));
    await storage.write((tx) => leaveGroup(tx, a!.id, g, 9));
    await expect(storage.write((tx) => addMembers(tx, a!.id, g, [b!.id], 10))).rejects.toMatchObject({ code: "forbidden" });
    for (const u of [a!, b!, c!, d!]) expect(await storage.read((r) => listSummaries(r, u.id))).toEqual([]);
  });

  /** The group's history as (sender, body) in seq order. */
  const history = async (g: string) => (await storage.read(async (r) => r.messages.page(g, null, 500, null))).map((m) => ({ seq: m.seq, senderId: m.senderId, body: m.body }));
  /** The membership each user's last `conv` entry of `g` says. */
  const lastMembership = async (userId: string, g: string) =>
    (await pull(userId, "chat", 0)).entries
      .filter((e) => e.k === "conv" && (e.data as { summary: Summary }).summary.conversationId === g)
      .map((e) => (e.data as { summary: Summary }).summary.membership)
      .at(-1);

  it("groups: concurrent leaves of the last two members end the group once, with no one left behind", async () => {
    const [a, b] = await users(2);
    await storage.write((tx) => follow(tx, b!.id, a!.id, 1));
    for (let round = 0; round < 10; round++) {
      const g = await conversation(a!.id, { type: "group", title: `Pair ${round}`, memberIds: [b!.id] });
      await Promise.all([storage.write((tx) => leaveGroup(tx, a!.id, g, 3)), storage.write((tx) => leaveGroup(tx, b!.id, g, 3))]);
      expect(await storage.read(async (r) => r.conversations.members(g))).toEqual([]);
      // Whoever went first is seen to leave; the last one ends the group without a line; both devices are told.
      expect((await history(g)).map((m) => m.body)).toEqual([expect.stringMatching(/^U[01] left$/)]);
      expect([await lastMembership(a!.id, g), await lastMembership(b!.id, g)]).toEqual(["left", "left"]);
      await expect(storage.write((tx) => addMembers(tx, a!.id, g, [b!.id], 4))).rejects.toMatchObject({ code: "forbidden" });
    }
    expect(deadlocks()).toBe(0);
  });

  it("groups: an add racing the accept of a request lands once, in either order", async () => {
    const [a, b, c] = await users(3);
    for (let round = 0; round < 10; round++) {
      const d = await user(`late${round}`);
      const g = await conversation(a!.id, { type: "group", title: `Club ${round}`, memberIds: [b!.id] });
      expect((await storage.read((r) => summaryFor(r, b!.id, g))).membership).toBe("request");
      const [added] = await Promise.all([
        storage.write((tx) => addMembers(tx, a!.id, g, [b!.id, c!.id, d.id], 5)),
        storage.write((tx) => acceptRequest(tx, b!.id, g, 5)),
      ]);
      // b was in already (a request or, by then, a member): only c and d are added, once.
      expect(added.added).toBe(2);
      expect((await history(g)).map((m) => m.body)).toEqual([`${a!.displayName} added ${c!.displayName} and ${d.displayName}`]);
      const roster = (await storage.read((r) => summaryFor(r, a!.id, g))).roster!;
      expect(Object.fromEntries(roster.map((m) => [m.userId, m.pending]))).toEqual({ [a!.id]: false, [b!.id]: false, [c!.id]: true, [d.id]: true });
      expect(await lastMembership(b!.id, g)).toBe("member");
    }
    for (const u of [a!, b!]) {
      const entries = (await pull(u.id, "chat", 0)).entries;
      expect(versions(entries)).toEqual(range(1, entries.length));
    }
    expect(deadlocks()).toBe(0);
  });

  it("groups: a send racing the sender's removal lands before the removal line or not at all", async () => {
    const [a, b, c] = await users(3);
    for (const u of [b!, c!]) await storage.write((tx) => follow(tx, u.id, a!.id, 1));
    const g = await conversation(a!.id, { type: "group", title: "Race", memberIds: [b!.id, c!.id] });
    const removal = `${a!.displayName} removed ${b!.displayName}`;
    let refused = 0;
    for (let round = 0; round < 30; round++) {
      const [sent, removed] = await Promise.allSettled([send(b!.id, g, `b${round}`), storage.write((tx) => removeMember(tx, a!.id, g, b!.id, 6))]);
      expect(removed.status).toBe("fulfilled");
      const lines = await history(g);
      const removedAt = lines.findLast((m) => m.body === removal)!.seq;
      if (sent.status === "fulfilled") expect(sent.value.result.message.seq).toBeLessThan(removedAt);
      else {
        expect(sent.reason).toMatchObject({ code: "forbidden" });
        refused++;
      }
      expect(lines.filter((m) => m.senderId === b!.id && m.seq > removedAt)).toEqual([]);
      // b is back (a follower joins at once) for the next round.
      await storage.write((tx) => addMembers(tx, a!.id, g, [b!.id], 7));
    }
    expect(refused + (await history(g)).filter((m) => m.senderId === b!.id).length).toBe(30);
    expect(deadlocks()).toBe(0);
  });

  it("a sender who left gets no delivered receipts; those still in do", async () => {
    const [a, b, c] = await users(3);
    for (const u of [b!, c!]) await storage.write((tx) => follow(tx, u.id, a!.id, 1));
    const g = await conversation(a!.id, { type: "group", title: "Ticks", memberIds: [b!.id, c!.id] });
    await send(a!.id, g, "from a");
    await send(b!.id, g, "from b");
    await storage.write((tx) => leaveGroup(tx, b!.id, g, 4));
    const [aHead, bHead] = [(await heads(a!.id)).chat, (await heads(b!.id)).chat];
    const cDevice = await device(c!.id);
    const cHead = (await heads(c!.id)).chat;
    await storage.write((tx) => ack(tx, c!.id, cDevice, { chat: cHead }, 5));
    expect((await pull(a!.id, "chat", aHead)).entries.map((e) => e.k)).toEqual(["delivered"]);
    expect((await heads(b!.id)).chat).toBe(bHead);
  });

  it("keeps at most the device cap, forgetting the least recently seen; a device id belongs to one account", async () => {
    const [a, b] = await users(2);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const [i, deviceId] of ids.entries()) {
      const { evicted } = await storage.write((tx) => upsertDevice(tx, { userId: a!.id, deviceId, sessionId: null, at: 10 + i, maxDevices: 2 }));
      expect(evicted).toEqual(i === 2 ? [ids[0]] : []);
    }
    expect((await storage.read(async (r) => r.devices.list(a!.id))).map((d) => d.id)).toEqual([ids[2], ids[1]]);
    await expect(storage.write((tx) => upsertDevice(tx, { userId: b!.id, deviceId: ids[1]!, sessionId: null, at: 20 }))).rejects.toMatchObject({
      code: "conflict",
    });
  });

  it("batched push reads (one read per fan-out, issue 16) answer exactly what the single reads answer", async () => {
    const [a, b, c, d] = await users(4);
    const group = await groupOfFollowers(a!.id, [a!.id, b!.id, c!.id], "trip");
    await send(a!.id, group, "one");
    await send(a!.id, group, "two");
    await storage.write((tx) => markRead(tx, b!.id, group, 2, 4));
    await storage.write((tx) => leaveGroup(tx, c!.id, group, 5));
    for (const [userId, at] of [[a!.id, 10], [a!.id, 30], [b!.id, 20]] as const) {
      await storage.write((tx) => upsertDevice(tx, { userId, deviceId: randomUUID(), sessionId: null, at }));
    }
    await storage.write(async (tx) => {
      await tx.safety.block(b!.id, a!.id, 6);
      await tx.safety.block(c!.id, b!.id, 6);
    });
    const ids = [a!.id, b!.id, c!.id, d!.id];
    await storage.read(async (r) => {
      // Every user asked is a key, in the single read's device order (newest first); no devices: empty.
      const targets = await r.push.targetsOf([...ids, a!.id], 100);
      expect([...targets.keys()].sort()).toEqual([...ids].sort());
      for (const id of ids) expect(targets.get(id)).toEqual(await r.push.targets(id, 100));
      expect(targets.get(a!.id)!.map((t) => t.lastSeen)).toEqual([30, 10]);
      expect(await r.push.targetsOf([], 100)).toEqual(new Map());

      // Members only (c left, d never joined, "nope" does not exist); each pair once.
      const pairs = [...ids, a!.id].map((userId) => ({ userId, conversationId: group })).concat([{ userId: a!.id, conversationId: "nope" }]);
      const convs = await r.push.conversationsOf(pairs);
      expect(convs.map((x) => x.userId).sort()).toEqual([a!.id, b!.id].sort());
      for (const { userId, conversationId, ...conv } of convs) expect(conv).toEqual(await r.push.conversation(userId, conversationId));
      expect(convs.find((x) => x.userId === b!.id)).toMatchObject({ type: "group", title: "trip", readSeq: 2, muted: false });
      expect(await r.push.conversationsOf([])).toEqual([]);

      // One way, as `blocks`: b blocks a, a does not block b; each pair once.
      const asked = [
        { blockerId: b!.id, blockedId: a!.id },
        { blockerId: a!.id, blockedId: b!.id },
        { blockerId: c!.id, blockedId: b!.id },
        { blockerId: b!.id, blockedId: a!.id },
        { blockerId: d!.id, blockedId: a!.id },
      ];
      const blocked = await r.safety.blockedAmong(asked);
      const key = (p: { blockerId: string; blockedId: string }) => `${p.blockerId}>${p.blockedId}`;
      expect(blocked.map(key).sort()).toEqual([key(asked[0]!), key(asked[2]!)].sort());
      for (const p of asked) expect(blocked.some((x) => key(x) === key(p))).toBe(await r.safety.blocks(p.blockerId, p.blockedId));
      expect(await r.safety.blockedAmong([])).toEqual([]);
    });
  });
});
