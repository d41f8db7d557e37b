import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConsumerRegistry } from "../../shared/sync/consumers.js";
import { CourierError, type CommandReport, type Entry } from "../../shared/protocol/index.js";
import { NetworkError } from "../api/errors.js";
import { registerConsumers } from "../db/consumers.js";
import { CourierDb } from "../db/database.js";
import { DexieSyncStore } from "../db/store.js";
import { entry, ME, resetVersions } from "../db/test-fixtures.js";
import { CommandRunner, INTERRUPTED, STALE_RUNNING_MS, type CommandActions } from "./runner.js";

const DEVICE = "0c3a6a0e-5d1f-4a57-9a55-0b3c8c2f7a10";
const OTHER_DEVICE = "6f4e1c2a-7b8d-4e9f-a0b1-c2d3e4f5a6b7";
const CONV = "3b1f6c0e-9a2d-4c8e-b7f1-5d6e7f8a9b0c";

let db: CourierDb;
let store: DexieSyncStore;
let runner: CommandRunner;
/** What ran, in order ("name:arg"). */
let ran: string[];
let reports: Array<{ id: string } & CommandReport>;
let reportFails: unknown = null;
let now = 1_000_000;

function actions(): CommandActions {
  return {
    resync: async () => void ran.push("resync"),
    diagnostics: async () => (ran.push("diagnostics"), { outbox: { count: 0 } }),
    mute: async (id) => void ran.push(`mute:${id}`),
    deleteConversation: async (id) => void ran.push(`delete_conversation:${id}`),
    signOut: async () => void ran.push("sign_out"),
  };
}

beforeEach(async () => {
  resetVersions();
  ran = [];
  reports = [];
  reportFails = null;
  db = new CourierDb(`cmd-${crypto.randomUUID()}`);
  await db.open();
  runner = new CommandRunner({
    db,
    deviceId: DEVICE,
    actions: actions(),
    now: () => now,
    report: async (id, report) => {
      if (reportFails) throw reportFails;
      reports.push({ id, ...report });
    },
  });
  const registry = new ConsumerRegistry();
  registerConsumers(registry, db, ME, { onCommand: (command, at) => runner.take(command, at) });
  store = new DexieSyncStore(db, registry, ME);
});

afterEach(async () => {
  await db.delete();
});

const cmd = (id: string, name: string, args: Record<string, unknown> = {}, deviceId?: string, v?: number) =>
  entry("cmd", { id, name, args, ...(deviceId ? { deviceId } : {}) }, v);

/** Applies entries as the engine does (one transaction), then lets what the commit started finish. */
async function apply(...entries: Entry[]): Promise<void> {
  await store.apply("chat", entries, entries.at(-1)!.v);
  await settle();
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 0));
    await runner.idle();
  }
}

const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

describe("CommandRunner", () => {
  it("runs a command once and reports it done, even when its entry arrives again", async () => {
    await apply(cmd(id(1), "resync"));
    await apply(cmd(id(1), "resync")); // a re-pull at a later version, another tab's copy
    expect(ran).toEqual(["resync"]);
    expect(reports).toEqual([{ id: id(1), status: "done" }]);
    expect(await db.commands.get(id(1))).toMatchObject({ status: "done", reported: true });
  });

  it("does not run a command again after a resync replays the log", async () => {
    await apply(cmd(id(1), "mute", { conversationId: CONV }, undefined, 1));
    // The snapshot drops local data and puts the versions back (the server was restored): v1 comes again.
    await store.applySnapshot({ heads: { chat: 0, system: 0, marketing: 0 }, conversations: [], messages: {} });
    await apply(cmd(id(1), "mute", { conversationId: CONV }, undefined, 1));
    expect(ran).toEqual([`mute:${CONV}`]);
    expect(reports).toHaveLength(1);
  });

  it("runs only on the named device: another device's command is recorded as skipped and never reported", async () => {
    await apply(cmd(id(1), "sign_out", {}, OTHER_DEVICE), cmd(id(2), "diagnostics", {}, DEVICE));
    expect(ran).toEqual(["diagnostics"]);
    expect(reports.map((r) => r.id)).toEqual([id(2)]);
    expect(reports[0]!.report).toEqual({ outbox: { count: 0 } });
    expect(await db.commands.get(id(1))).toMatchObject({ status: "skipped" });
    await runner.retryReports();
    expect(reports).toHaveLength(1);
  });

  it("runs a batch in order, after the transaction commits", async () => {
    let seenInDb: number | null = null;
    runner = new CommandRunner({
      db,
      deviceId: DEVICE,
      report: async () => {},
      actions: { ...actions(), resync: async () => void (seenInDb = (await db.versions.get("chat"))?.v ?? 0) },
    });
    await apply(cmd(id(1), "delete_conversation", { conversationId: CONV }), cmd(id(2), "resync"));
    // The version of the consuming transaction was already there: the command ran after the commit.
    expect(seenInDb).toBe(2);
  });

  it("does not run a command whose transaction failed; the retried entry runs it", async () => {
    const registry = new ConsumerRegistry();
    registerConsumers(registry, db, ME, { onCommand: (command, at) => runner.take(command, at) });
    registry.register({
      domain: "chat",
      kinds: ["cmd"],
      apply: () => {
        throw new Error("disk full");
      },
    });
    const failing = new DexieSyncStore(db, registry, ME);
    await expect(failing.apply("chat", [cmd(id(1), "resync", {}, undefined, 1)], 1)).rejects.toThrow("disk full");
    await settle();
    expect(ran).toEqual([]);
    expect(await db.commands.count()).toBe(0);
    await apply(cmd(id(1), "resync", {}, undefined, 1));
    expect(ran).toEqual(["resync"]);
  });

  it("reports a failure with its reason: an unknown name, bad arguments, an action that failed", async () => {
    runner = new CommandRunner({
      db,
      deviceId: DEVICE,
      report: async (cid, report) => void reports.push({ id: cid, ...report }),
      actions: { ...actions(), resync: () => Promise.reject(CourierError.forbidden("Not a member of this conversation.")) },
    });
    await apply(cmd(id(1), "format_disk"), cmd(id(2), "mute", { conversationId: 42 }), cmd(id(3), "resync"));
    expect(ran).toEqual([]);
    expect(reports.map((r) => [r.id, r.status])).toEqual([
      [id(1), "failed"],
      [id(2), "failed"],
      [id(3), "failed"],
    ]);
    expect(reports[0]!.detail).toMatch(/Unknown command "format_disk"/);
    expect(reports[1]!.detail).toMatch(/^Bad arguments/);
    expect(reports[2]!.detail).toBe("Not a member of this conversation.");
  });

  it("sends a report that failed on the next hello, and stops after the server refuses it for good", async () => {
    reportFails = new NetworkError();
    await apply(cmd(id(1), "resync"), cmd(id(2), "diagnostics"));
    expect(reports).toEqual([]);
    expect(await db.commands.get(id(1))).toMatchObject({ status: "done", reported: false });

    reportFails = null;
    await runner.retryReports();
    expect(ran).toEqual(["resync", "diagnostics", "diagnostics"]); // the report is rebuilt, the resync not run again
    expect(reports.map((r) => r.id).sort()).toEqual([id(1), id(2)]);
    expect(reports.find((r) => r.id === id(2))!.report).toBeDefined();

    await apply(cmd(id(3), "resync"));
    reports = [];
    reportFails = CourierError.forbidden("This command does not name this device.");
    await db.commands.update(id(3), { reported: false });
    await runner.retryReports();
    expect(await db.commands.get(id(3))).toMatchObject({ reported: true });
    reportFails = null;
    await runner.retryReports();
    expect(reports).toEqual([]);
  });

  it("reports a command an earlier page was running as interrupted, without running it", async () => {
    await db.commands.add({ id: id(1), name: "resync", at: now, status: "running", reported: false });
    await runner.retryReports();
    expect(reports).toEqual([]); // maybe another tab is running it right now
    now += STALE_RUNNING_MS;
    await runner.retryReports();
    expect(ran).toEqual([]);
    expect(reports).toEqual([{ id: id(1), status: "failed", detail: INTERRUPTED }]);
  });

  it("signs out on sign_out without a report: the server revoked the session and recorded the result", async () => {
    await apply(cmd(id(1), "sign_out"));
    expect(ran).toEqual(["sign_out"]);
    expect(reports).toEqual([]);
    expect(await db.commands.get(id(1))).toMatchObject({ status: "done", reported: true });
    await runner.retryReports();
    expect(reports).toEqual([]);
  });

  it("skips a sign_out from before this device signed in again (its session was revoked then), and runs a later one", async () => {
    runner = new CommandRunner({
      db,
      deviceId: DEVICE,
      actions: actions(),
      report: async (cid, report) => void reports.push({ id: cid, ...report }),
      signedInAfter: (at) => at < 2_005, // entries here are appended at 2000 + v
    });
    await apply(cmd(id(1), "sign_out", {}, undefined, 1), cmd(id(2), "diagnostics", {}, undefined, 2));
    expect(ran).toEqual(["diagnostics"]);
    expect(await db.commands.get(id(1))).toMatchObject({ status: "skipped", reported: true });
    await apply(cmd(id(3), "sign_out", {}, undefined, 9));
    expect(ran).toEqual(["diagnostics", "sign_out"]);
  });
});
