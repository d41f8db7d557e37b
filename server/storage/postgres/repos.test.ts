import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Message } from "../../../shared/protocol/index.js";
import type { NewMember, Repos } from "../tx.js";
import type { PostgresEngine } from "./engine.js";
import { databaseUrl, Engines } from "./test-support.js";

/**
 * Every repository method once against PostgreSQL, for the SQL itself (the
 * rules' contract suite runs across both engines elsewhere). One schema for
 * the file; each test uses its own ids.
 */
const engines = new Engines();
let engine: PostgresEngine;

beforeAll(async () => {
  if (process.env.TEST_DATABASE_URL) engine = await engines.open();
});

// Without a database every test fails with the sentence that says how to get one.
beforeEach(() => {
  databaseUrl();
});

afterAll(async () => {
  await engines.cleanup();
});

const write = async <T>(fn: (tx: Repos) => Promise<T>): Promise<T> => (await engine.write(fn)).result;
const read = <T>(fn: (r: Repos) => Promise<T>): Promise<T> => engine.read(fn);

async function user(tx: Repos, id: string, username = id, displayName = id, at = 1): Promise<void> {
  await tx.users.insert({ id, username, displayName, passwordHash: `hash-${id}`, at });
}

describe("PostgreSQL users and sessions", () => {
  it("find users by name, id and search (literal, ASCII case-insensitive, prefix first)", async () => {
    await write(async (tx) => {
      await user(tx, "s1", "zed_100", "Percent 100% Sure");
      await user(tx, "s2", "alpha", "Zed Alpha");
      await user(tx, "s3", "zedekiah", "Z");
      await user(tx, "s4", "x_under", "Back\\slash");
      await user(tx, "s5", "ÉLAN", "Élan");
    });
    const names = (list: { username: string }[]) => list.map((u) => u.username);
    await read(async (r) => {
      expect(await r.users.byUsername("alpha")).toEqual({ id: "s2", username: "alpha", displayName: "Zed Alpha", passwordHash: "hash-s2" });
      expect(await r.users.byUsername("nobody")).toBeNull();
      expect(await r.users.get("s3")).toEqual({ id: "s3", username: "zedekiah", displayName: "Z" });
      expect((await r.users.getMany(["s1", "s3", "missing"])).map((u) => u.id).sort()).toEqual(["s1", "s3"]);
      expect(await r.users.getMany([])).toEqual([]);
      // Prefix matches (username or display name) first, then the rest, each by username.
      expect(names(await r.users.search("ZED", "none", 10))).toEqual(["alpha", "zed_100", "zedekiah"]);
      expect(names(await r.users.search("zed", "s2", 10))).toEqual(["zed_100", "zedekiah"]);
      expect(names(await r.users.search("zed", "none", 2))).toEqual(["alpha", "zed_100"]);
      // LIKE wildcards and the escape character are matched literally.
      expect(names(await r.users.search("%", "none", 10))).toEqual(["zed_100"]);
      expect(names(await r.users.search("_", "none", 10))).toEqual(["x_under", "zed_100"]);
      expect(names(await r.users.search("\\", "none", 10))).toEqual(["x_under"]);
      // Case folds for ASCII only, as in SQLite.
      expect(names(await r.users.search("élan", "none", 10))).toEqual([]);
      expect(names(await r.users.search("Élan", "none", 10))).toEqual(["ÉLAN"]);
    });
  });

  it("list ids after an id in byte order, created by a time", async () => {
    await write(async (tx) => {
      await user(tx, "ia-B", "ia_b", "B", 10);
      await user(tx, "ia-a", "ia_a", "a", 10);
      await user(tx, "ia-c", "ia_c", "c", 30);
    });
    expect(await read(async (r) => r.users.idsAfter("ia-", 20, 2))).toEqual(["ia-B", "ia-a"]);
    expect(await read(async (r) => r.users.idsAfter("ia-B", 30, 1))).toEqual(["ia-a"]);
  });

  it("store sessions by token hash, bound to devices, until they expire", async () => {
    await write(async (tx) => {
      await user(tx, "ses-u", "ses_u", "Ses");
      await tx.sessions.insert({ id: "ses1", tokenHash: "th1", userId: "ses-u", deviceId: null, at: 1, expiresAt: 100 });
      await tx.sessions.insert({ id: "ses2", tokenHash: "th2", userId: "ses-u", deviceId: "dev", at: 1, expiresAt: 50 });
      await tx.sessions.insert({ id: "ses3", tokenHash: "th3", userId: "ses-u", deviceId: null, at: 1, expiresAt: 200 });
      await tx.sessions.bindDevice("ses1", "dev");
    });
    await read(async (r) => {
      expect(await r.sessions.find("th1", 99)).toEqual({ sessionId: "ses1", user: { id: "ses-u", username: "ses_u", displayName: "Ses" }, expiresAt: 100 });
      expect(await r.sessions.find("th1", 100)).toBeNull();
      expect((await r.sessions.ofDevice("ses-u", "dev")).sort()).toEqual(["ses1", "ses2"]);
      expect(await r.sessions.ofDevice("other", "dev")).toEqual([]);
    });
    await write(async (tx) => tx.sessions.deleteExpired(50));
    expect(await read(async (r) => r.sessions.ofDevice("ses-u", "dev"))).toEqual(["ses1"]);
    await write(async (tx) => tx.sessions.deleteOfDevice("ses-u", "dev"));
    expect(await read(async (r) => r.sessions.find("th1", 1))).toBeNull();
    await write(async (tx) => tx.sessions.delete("ses3"));
    expect(await read(async (r) => r.sessions.find("th3", 1))).toBeNull();
  });
});

describe("PostgreSQL devices and push", () => {
  const sub = { endpoint: "https://push.example/dev-1", keys: { p256dh: "p", auth: "a" } };

  it("register devices, keep or replace subscriptions, find them by endpoint", async () => {
    await write(async (tx) => {
      await user(tx, "dv-u", "dv_u");
      await user(tx, "dv-v", "dv_v");
      await tx.sessions.insert({ id: "dv-s", tokenHash: "dv-th", userId: "dv-u", deviceId: null, at: 1, expiresAt: 1000 });
      await tx.devices.insert({ id: "dv1", userId: "dv-u", sessionId: "dv-s", at: 10 });
      await tx.devices.insert({ id: "dv2", userId: "dv-u", sessionId: null, at: 20 });
      await tx.devices.insert({ id: "dv3", userId: "dv-u", sessionId: null, at: 5 });
      await tx.devices.insert({ id: "dv4", userId: "dv-v", sessionId: null, at: 5 });
      await tx.devices.register("dv1", { protocol: 1, capabilities: ["ack", "ack", "push"], userAgent: "UA", notification: "granted" }, sub);
      await tx.devices.register("dv4", { protocol: 1, capabilities: [] }, sub);
    });
    await read(async (r) => {
      expect(await r.devices.get("dv1")).toEqual({
        id: "dv1",
        userId: "dv-u",
        sessionId: "dv-s",
        userAgent: "UA",
        capabilities: ["ack", "push"],
        notification: "granted",
        push: true,
        lastSeen: 10,
        registeredAt: 10,
      });
      expect((await r.devices.list("dv-u")).map((d) => d.id)).toEqual(["dv2", "dv1", "dv3"]);
      expect(await r.devices.count("dv-u")).toBe(3);
      expect(await r.devices.leastRecent("dv-u", "dv3", 1)).toEqual(["dv1"]);
      expect(await r.push.subscription("dv1")).toEqual(sub);
      expect(await r.push.targets("dv-u", 500)).toEqual([
        { deviceId: "dv2", subscription: null, lastSeen: 20, signedIn: false },
        { deviceId: "dv1", subscription: sub, lastSeen: 10, signedIn: true },
        { deviceId: "dv3", subscription: null, lastSeen: 5, signedIn: false },
      ]);
      expect((await r.push.targets("dv-u", 1000))[1]!.signedIn).toBe(false);
    });
    await write(async (tx) => {
      await tx.devices.seen("dv1", 40, null);
      await tx.devices.register("dv1", { protocol: 2, capabilities: [], userAgent: "UA2" }, "keep");
    });
    expect(await read(async (r) => r.devices.lock("dv1"))).toMatchObject({ lastSeen: 40, sessionId: "dv-s", push: true, userAgent: "UA2", notification: null });
    // The endpoint moved to dv1: every other device loses it.
    expect(await write(async (tx) => tx.push.releaseEndpoint(sub.endpoint, "dv1"))).toBe(1);
    expect(await read(async (r) => r.push.subscription("dv4"))).toBeNull();
    expect(await write(async (tx) => tx.push.drop("dv1", "https://push.example/other"))).toBe(false);
    expect(await write(async (tx) => tx.push.drop("dv1", sub.endpoint))).toBe(true);
    expect(await read(async (r) => r.devices.get("dv1"))).toMatchObject({ push: false });
    await write(async (tx) => tx.devices.register("dv2", { protocol: 1, capabilities: [] }, null));
    expect(await read(async (r) => r.devices.get("dv2"))).toMatchObject({ push: false });

    await write(async (tx) => tx.log.setAck("dv2", "chat", 3));
    expect(await write(async (tx) => tx.devices.delete("dv-v", "dv2"))).toBe(false);
    expect(await write(async (tx) => tx.devices.delete("dv-u", "dv2"))).toBe(true);
    expect(await read(async (r) => [await r.devices.get("dv2"), await r.log.acks("dv2")])).toEqual([null, { chat: 0, system: 0, marketing: 0 }]);
  });

  it("keep VAPID keys, preferences, quotas, notices and receipts", async () => {
    await write(async (tx) => user(tx, "pp-u", "pp_u"));
    const first = await write(async (tx) => tx.push.vapidKeys({ publicKey: "P1", privateKey: "S1" }, 1));
    const second = await write(async (tx) => tx.push.vapidKeys({ publicKey: "P2", privateKey: "S2" }, 2));
    expect(second).toEqual(first);
    expect(await read(async (r) => r.push.preferences("pp-u"))).toEqual({ hidePreviews: false });
    await write(async (tx) => tx.push.setPreferences("pp-u", { hidePreviews: true }, 5));
    expect(await read(async (r) => r.push.preferences("pp-u"))).toEqual({ hidePreviews: true });

    const quota = await write(async (tx) => [
      await tx.push.takeQuota("pp-u", "marketing", "2026-01-01", 2),
      await tx.push.takeQuota("pp-u", "marketing", "2026-01-01", 2),
      await tx.push.takeQuota("pp-u", "marketing", "2026-01-01", 2),
      await tx.push.takeQuota("pp-u", "marketing", "2026-01-02", 0),
    ]);
    expect(quota).toEqual([true, true, false, false]);

    await write(async (tx) => {
      await tx.push.recordNotice({ id: "pn1", userId: "pp-u", category: "marketing", at: 100 });
      await tx.push.recordNotice({ id: "pn1", userId: "pp-u", category: "marketing", at: 100 });
    });
    const receipts = await write(async (tx) => [
      await tx.push.receipt("pn1", "displayed", 50),
      await tx.push.receipt("pn1", "displayed", 50),
      await tx.push.receipt("pn1", "clicked", 50),
      await tx.push.receipt("pn1", "clicked", 200),
      await tx.push.receipt("nope", "clicked", 0),
    ]);
    expect(receipts).toEqual([
      { status: "counted", category: "marketing" },
      { status: "repeat" },
      { status: "counted", category: "marketing" },
      { status: "unknown" },
      { status: "unknown" },
    ]);
    await write(async (tx) => tx.push.prune(101, "2026-01-02"));
    expect(await write(async (tx) => tx.push.receipt("pn1", "clicked", 0))).toEqual({ status: "unknown" });
    expect(await write(async (tx) => tx.push.takeQuota("pp-u", "marketing", "2026-01-01", 1))).toBe(true);
  });
});

/** Plain members, added by no one. */
const plain = (...ids: string[]): NewMember[] => ids.map((userId) => ({ userId, role: "member", state: "member", addedBy: null }));

describe("PostgreSQL catalogue, conversations and messages", () => {
  it("store items and one order per item", async () => {
    await write(async (tx) => {
      await user(tx, "it-s", "it_s");
      await user(tx, "it-b", "it_b");
      await tx.items.insert({ id: "it1", sellerId: "it-s", title: "Bike", priceCents: 10_000_000_000, at: 5000 });
      await tx.items.insert({ id: "it2", sellerId: "it-s", title: "Lamp", priceCents: 5, description: "old", at: 5000 });
      await tx.items.insert({ id: "it0", sellerId: "it-s", title: "Chair", priceCents: 7, at: 4000 });
      await tx.conversations.insert({ id: "it-c", type: "item", itemId: "it1", title: null, uniqueKey: "item:it1:it-b", at: 1 }, plain("it-b", "it-s"));
    });
    expect((await read(async (r) => r.items.list(3))).map((i) => i.id)).toEqual(["it1", "it2", "it0"]);
    expect(await read(async (r) => r.items.lock("it1"))).toEqual({
      id: "it1",
      sellerId: "it-s",
      title: "Bike",
      priceCents: 10_000_000_000,
      description: "",
      status: "listed",
      at: 5000,
    });
    const order = { id: "or1", itemId: "it1", conversationId: "it-c", buyerId: "it-b", sellerId: "it-s", status: "bought" as const, at: 6000 };
    await write(async (tx) => {
      await tx.orders.insert(order);
      await tx.items.setStatus("it1", "sold");
    });
    expect(await read(async (r) => [await r.orders.get("or1"), await r.orders.ofConversation("it-c"), (await r.items.get("it1"))?.status])).toEqual([
      order,
      order,
      "sold",
    ]);
    await write(async (tx) => tx.orders.setStatus("or1", "shipped", 7000));
    expect(await read(async (r) => r.orders.lock("or1"))).toEqual({ ...order, status: "shipped", at: 7000 });
    // A second order for the item violates the unique key every time: retried, then the error surfaces.
    await expect(write(async (tx) => tx.orders.insert({ ...order, id: "or2" }))).rejects.toMatchObject({ code: "23505" });
    expect(await read(async (r) => r.conversations.ofItem("it1"))).toMatchObject([{ id: "it-c" }]);
  });

  it("keep conversations, members and their positions", async () => {
    await write(async (tx) => {
      for (const id of ["cv-a", "cv-c", "cv-b"]) await user(tx, id, id.replace("-", "_"));
      await tx.conversations.insert({ id: "cv1", type: "group", itemId: null, title: "Trip", uniqueKey: null, at: 10 }, plain("cv-c", "cv-a", "cv-b", "cv-a"));
      await tx.conversations.insert({ id: "cv2", type: "direct", itemId: null, title: null, uniqueKey: "direct:cv-a:cv-b", at: 11 }, plain("cv-a", "cv-b"));
    });
    await read(async (r) => {
      expect(await r.conversations.get("cv1")).toEqual({ id: "cv1", type: "group", itemId: null, title: "Trip", uniqueKey: null, lastSeq: 0, at: 10 });
      expect(await r.conversations.byKey("direct:cv-a:cv-b")).toMatchObject({ id: "cv2" });
      expect((await r.conversations.members("cv1")).map((m) => m.userId)).toEqual(["cv-a", "cv-b", "cv-c"]);
      expect((await r.conversations.ofUser("cv-a")).map((c) => c.id).sort()).toEqual(["cv1", "cv2"]);
      expect(await r.conversations.member("cv1", "nobody")).toBeNull();
    });
    const seqs = await write(async (tx) => [await tx.conversations.nextSeq("cv1"), await tx.conversations.nextSeq("cv1")]);
    expect(seqs).toEqual([1, 2]);
    await write(async (tx) => {
      await tx.conversations.advanceDelivered("cv1", "cv-a", 2);
      await tx.conversations.advanceRead("cv1", "cv-b", 2);
      await tx.conversations.advanceRead("cv1", "cv-b", 1);
      await tx.conversations.advanceDelivered("cv1", "cv-b", 1);
      await tx.conversations.updateSettings("cv1", "cv-b", { muted: true, remark: "trip!" });
      await tx.conversations.updateSettings("cv1", "cv-b", { pinned: true, markedUnread: true });
    });
    await read(async (r) => {
      expect(await r.conversations.member("cv1", "cv-a")).toMatchObject({ readSeq: 0, deliveredSeq: 2 });
      expect(await r.conversations.member("cv1", "cv-b")).toEqual({
        conversationId: "cv1",
        userId: "cv-b",
        readSeq: 2,
        deliveredSeq: 2,
        muted: true,
        pinned: true,
        remark: "trip!",
        label: "",
        archived: false,
        markedUnread: true,
        role: "member",
        state: "member",
        addedBy: null,
      });
      expect(await r.push.conversation("cv-b", "cv1")).toEqual({ type: "group", title: "Trip", itemTitle: null, muted: true, readSeq: 2 });
      expect(await r.push.conversation("nobody", "cv1")).toBeNull();
    });
    await expect(write(async (tx) => tx.conversations.nextSeq("missing"))).rejects.toThrow("Conversation missing is not stored.");
  });

  it("answer a direct chat's members read ahead by lock as fresh reads would, and read again after any other statement", async () => {
    await write(async (tx) => {
      for (const id of ["ra-a", "ra-b", "ra-c"]) await user(tx, id, id.replace("-", "_"));
      await tx.conversations.insert({ id: "ra1", type: "direct", itemId: null, title: null, uniqueKey: "direct:ra-a:ra-b", at: 20 }, plain("ra-a", "ra-b"));
      await tx.conversations.insert({ id: "ra2", type: "group", itemId: null, title: "G", uniqueKey: null, at: 21 }, plain("ra-a", "ra-b", "ra-c"));
    });
    const fresh = await read(async (r) => ({
      a: await r.conversations.member("ra1", "ra-a"),
      all: await r.conversations.members("ra1"),
    }));
    const seen = await write(async (tx) => {
      await tx.conversations.lock("ra1");
      const ahead = { a: await tx.conversations.member("ra1", "ra-a"), all: await tx.conversations.members("ra1") };
      // A copy each time: a caller changing its answer changes nothing else.
      ahead.all[0]!.readSeq = 99;
      const again = await tx.conversations.members("ra1");
      // This transaction's own change is seen by the next read (not answered from before it).
      await tx.conversations.posted("ra1", "ra-b", 5);
      await tx.conversations.setState("ra1", "ra-a", "left");
      const after = { a: await tx.conversations.member("ra1", "ra-a"), all: await tx.conversations.members("ra1") };
      // A group's members are not read ahead; a stranger is asked for.
      await tx.conversations.lock("ra2");
      const group = { all: await tx.conversations.members("ra2"), nobody: await tx.conversations.member("ra2", "nobody") };
      return { ahead, again, after, group };
    });
    expect(seen.ahead.a).toEqual(fresh.a);
    expect(seen.again).toEqual(fresh.all);
    expect(seen.after.a).toMatchObject({ state: "left" });
    expect(seen.after.all).toEqual([expect.objectContaining({ userId: "ra-b", readSeq: 5, deliveredSeq: 5 })]);
    expect(seen.group.all.map((m) => m.userId)).toEqual(["ra-a", "ra-b", "ra-c"]);
    expect(seen.group.nobody).toBeNull();
  });

  it("answer nextSeq under the write's own lock without asking, and store every seq it answered", async () => {
    await write(async (tx) => {
      for (const id of ["sq-a", "sq-b"]) await user(tx, id, id.replace("-", "_"));
      await tx.conversations.insert({ id: "sq1", type: "direct", itemId: null, title: null, uniqueKey: "direct:sq-a:sq-b", at: 20 }, plain("sq-a", "sq-b"));
    });
    // Unlocked (asked), then locked (known from the lock), twice in one write, then in the next write.
    expect(await write(async (tx) => tx.conversations.nextSeq("sq1"))).toBe(1);
    expect(await write(async (tx) => (await tx.conversations.lock("sq1"), [await tx.conversations.nextSeq("sq1"), await tx.conversations.nextSeq("sq1")]))).toEqual([2, 3]);
    expect(await write(async (tx) => (await tx.conversations.lock("sq1"), tx.conversations.nextSeq("sq1")))).toBe(4);
    expect((await read(async (r) => r.conversations.get("sq1")))?.lastSeq).toBe(4);
    // A write that fails after taking seqs keeps none of them.
    await expect(write(async (tx) => (await tx.conversations.lock("sq1"), await tx.conversations.nextSeq("sq1"), await tx.users.insert({ id: "sq-a", username: "dup", displayName: "d", passwordHash: "h", at: 1 })))).rejects.toBeDefined();
    expect((await read(async (r) => r.conversations.get("sq1")))?.lastSeq).toBe(4);
    // A lock asked again and answered after a seq was taken does not take the seq back.
    const seqs = await write(async (tx) => {
      await tx.conversations.lock("sq1");
      const again = tx.conversations.lock("sq1");
      const first = await tx.conversations.nextSeq("sq1");
      await again;
      return [first, await tx.conversations.nextSeq("sq1")];
    });
    expect(seqs).toEqual([5, 6]);
    expect((await read(async (r) => r.conversations.get("sq1")))?.lastSeq).toBe(6);
  });

  it("answer a send's block check from what locking a direct chat read ahead, as a fresh read would, either way", async () => {
    await write(async (tx) => {
      for (const id of ["bk-a", "bk-b", "bk-c"]) await user(tx, id, id.replace("-", "_"));
      await tx.conversations.insert({ id: "bk1", type: "direct", itemId: null, title: null, uniqueKey: "direct:bk-a:bk-b", at: 20 }, plain("bk-a", "bk-b"));
      await tx.conversations.insert({ id: "bk2", type: "direct", itemId: null, title: null, uniqueKey: "direct:bk-a:bk-c", at: 20 }, plain("bk-a", "bk-c"));
    });
    const check = () =>
      write(async (tx) => {
        await tx.conversations.lock("bk1");
        const ab = [await tx.safety.eitherWay("bk-a", "bk-b"), await tx.safety.eitherWay("bk-b", "bk-a")];
        // Not both members of the chat read ahead: asked.
        const ac = await tx.safety.eitherWay("bk-a", "bk-c");
        return [...ab, ac];
      });
    expect(await check()).toEqual([false, false, false]);
    await write(async (tx) => tx.safety.block("bk-b", "bk-a", 30));
    expect(await check()).toEqual([true, true, false]);
    await write(async (tx) => (await tx.safety.unblock("bk-b", "bk-a"), await tx.safety.block("bk-a", "bk-b", 31), tx.safety.block("bk-c", "bk-a", 32)));
    expect(await check()).toEqual([true, true, true]);
    // A block made earlier in the same write is seen (the read ahead is not used after another statement).
    expect(
      await write(async (tx) => {
        await tx.safety.unblock("bk-a", "bk-b");
        await tx.conversations.lock("bk1");
        const before = await tx.safety.eitherWay("bk-a", "bk-b");
        await tx.safety.block("bk-b", "bk-a", 33);
        return [before, await tx.safety.eitherWay("bk-a", "bk-b")];
      }),
    ).toEqual([false, true]);
  });

  it("store messages once, find them by client id and seq, page and count them", async () => {
    await write(async (tx) => {
      for (const id of ["ms-a", "ms-b", "ms-c"]) await user(tx, id, id.replace("-", "_"));
      await tx.conversations.insert({ id: "ms1", type: "group", itemId: null, title: null, uniqueKey: null, at: 1 }, plain("ms-a", "ms-b", "ms-c"));
    });
    const senders = ["ms-a", "ms-b", "ms-a", "ms-c", "ms-a"];
    const messages: Message[] = await write(async (tx) => {
      const out: Message[] = [];
      for (const [i, senderId] of senders.entries()) {
        const seq = await tx.conversations.nextSeq("ms1");
        const m: Message = { id: `msg${i}`, conversationId: "ms1", seq, senderId, clientMsgId: `cm${i}`, kind: "text", body: `hello ${i}`, at: 100 + i };
        await tx.messages.insert(m);
        out.push(m);
      }
      return out;
    });
    await read(async (r) => {
      expect(await r.messages.byClientId("ms-b", "cm1")).toEqual(messages[1]);
      expect(await r.messages.byClientId("ms-a", "cm1")).toBeNull();
      expect(await r.messages.bySeq("ms1", 4)).toEqual(messages[3]);
      expect(await r.messages.page("ms1", null, 2, null)).toEqual(messages.slice(3));
      expect(await r.messages.page("ms1", 3, 10, null)).toEqual(messages.slice(0, 2));
      expect((await r.messages.sendersBetween("ms1", 1, 4, "ms-a")).sort()).toEqual(["ms-b", "ms-c"]);
      expect(await r.messages.unread("ms1", 1, "ms-a")).toBe(2);
    });
    // The same client id twice is refused by the engine (every retry too).
    await expect(write(async (tx) => tx.messages.insert({ ...messages[0]!, id: "dup", seq: 99 }))).rejects.toMatchObject({ code: "23505" });
  });

  it("keep msg entries' conversation and seq for delivered receipts", async () => {
    await write(async (tx) =>
      tx.log.append(
        [
          { userId: "rc-u", d: "chat", k: "msg", data: {}, ref: { conversationId: "rc1", seq: 4 } },
          { userId: "rc-u", d: "chat", k: "conv", data: {} },
          { userId: "rc-u", d: "chat", k: "msg", data: {}, ref: { conversationId: "rc1", seq: 7 } },
          { userId: "rc-u", d: "chat", k: "msg", data: {}, ref: { conversationId: "rc2", seq: 1 } },
          { userId: "rc-u", d: "system", k: "msg", data: {}, ref: { conversationId: "rc3", seq: 1 } },
        ],
        1,
      ),
    );
    const refs = await read(async (r) => r.log.messageSeqsBetween("rc-u", 0, 3));
    expect(refs.sort((a, b) => a.conversationId.localeCompare(b.conversationId))).toEqual([{ conversationId: "rc1", seq: 7 }]);
    expect((await read(async (r) => r.log.messageSeqsBetween("rc-u", 1, 4))).length).toBe(2);
    expect(await read(async (r) => r.log.head("rc-u", "system"))).toBe(1);
  });

  it("keep acks monotonic", async () => {
    await write(async (tx) => {
      await user(tx, "ak-u", "ak_u");
      await tx.devices.insert({ id: "ak-d", userId: "ak-u", sessionId: null, at: 1 });
      await tx.log.setAck("ak-d", "chat", 5);
      await tx.log.setAck("ak-d", "chat", 3);
      await tx.log.setAck("ak-d", "marketing", 2);
    });
    expect(await read(async (r) => r.log.acks("ak-d"))).toEqual({ chat: 5, system: 0, marketing: 2 });
  });
});

describe("PostgreSQL follows and campaigns", () => {
  it("follow, unfollow and follow again", async () => {
    await write(async (tx) => {
      await user(tx, "fo-a", "fo_a");
      await user(tx, "fo-b", "fo_b");
    });
    expect(await write(async (tx) => tx.follows.lock("fo-a", "fo-b"))).toBeNull();
    await write(async (tx) => tx.follows.insert("fo-a", "fo-b", 10, 10));
    expect(await write(async (tx) => tx.follows.lock("fo-a", "fo-b"))).toEqual({ active: true, noticedAt: 10 });
    expect(await write(async (tx) => tx.follows.deactivate("fo-a", "fo-b", 20))).toBe(true);
    expect(await write(async (tx) => tx.follows.deactivate("fo-a", "fo-b", 21))).toBe(false);
    await write(async (tx) => tx.follows.reactivate("fo-a", "fo-b", 30, null));
    expect(await write(async (tx) => tx.follows.lock("fo-a", "fo-b"))).toEqual({ active: true, noticedAt: 10 });
    await write(async (tx) => tx.follows.reactivate("fo-a", "fo-b", 40, 40));
    expect(await write(async (tx) => tx.follows.lock("fo-a", "fo-b"))).toEqual({ active: true, noticedAt: 40 });
  });

  it("open a campaign once per key and record its progress", async () => {
    const c = { id: "cp1", key: "idem-1", fingerprint: "fp", title: "Sale", body: "Now" };
    const opened = await write(async (tx) => tx.campaigns.open(c, 100));
    expect(opened).toEqual({
      created: true,
      campaign: { ...c, sentThrough: null, recipients: 0, done: false, createdAt: 100 },
    });
    const again = await write(async (tx) => tx.campaigns.open({ ...c, id: "cp2", url: "/x" }, 200));
    expect(again).toEqual({ created: false, campaign: opened.campaign });
    const keyless = await write(async (tx) => [await tx.campaigns.open({ ...c, id: "cp3", key: null, url: "/u" }, 1), await tx.campaigns.open({ ...c, id: "cp4", key: null }, 1)]);
    expect(keyless.map((k) => [k.created, k.campaign.id, k.campaign.url])).toEqual([
      [true, "cp3", "/u"],
      [true, "cp4", undefined],
    ]);
    await write(async (tx) => {
      await tx.campaigns.progress("cp1", "u5", 5);
      await tx.campaigns.progress("cp1", "u9", 4);
      await tx.campaigns.finish("cp1");
    });
    expect(await write(async (tx) => tx.campaigns.lock("cp1"))).toMatchObject({ sentThrough: "u9", recipients: 9, done: true });
    expect(await write(async (tx) => tx.campaigns.lock("none"))).toBeNull();
  });

  it("open one campaign for concurrent requests with the same key", async () => {
    const c = { id: "", key: "idem-race", fingerprint: "fp", title: "T", body: "B" };
    const results = await Promise.all(range(8).map((i) => write(async (tx) => tx.campaigns.open({ ...c, id: `race${i}` }, i))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.campaign.id)).size).toBe(1);
  });
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
