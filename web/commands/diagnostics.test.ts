import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CourierError, diagnosticsReportSchema } from "../../shared/protocol/index.js";
import { CourierDb } from "../db/database.js";
import { enqueue, markFailed } from "../db/outbox.js";
import { message, summary } from "../db/test-fixtures.js";
import { TransportLog } from "../sync/transport-log.js";
import { APP_VERSION, buildDiagnostics } from "./diagnostics.js";
import { RecentErrors } from "./recent-errors.js";

let db: CourierDb;

beforeEach(async () => {
  db = new CourierDb(`diag-${crypto.randomUUID()}`);
  await db.open();
});

afterEach(async () => {
  await db.delete();
});

/** Words that must never leave the device in a report. */
const SECRETS = ["pineapple-secret-7", "我的银行密码", "draft-about-surprise", "Secret Group Title", "Remark for Ann", "tok_live_abc123"];

describe("buildDiagnostics", () => {
  it("reports counts, versions, outbox ages and errors, and none of the messages' text", async () => {
    const now = 10_000_000;
    const bodies = Array.from({ length: 200 }, (_, i) => `${SECRETS[i % 2]} number ${i}`);
    await db.conversations.put(summary("c1", { remark: SECRETS[4]!, conversation: { id: "c1", type: "group", title: SECRETS[3], memberIds: [], lastSeq: 200, at: 1 } }));
    await db.messages.bulkPut(bodies.map((body, i) => message("c1", i + 1, { body })));
    const failed = await enqueue(db, "c1", `failed ${SECRETS[1]}`, now - 60_000);
    await enqueue(db, "c1", `unsent ${SECRETS[0]}`, now - 5_000);
    await markFailed(db, failed.clientMsgId, `The server refused "${SECRETS[0]}"`);
    await db.drafts.put({ conversationId: "c1", text: SECRETS[2]! });
    const log = new TransportLog(10, () => now, () => 5);
    log.record("ws", "hello");
    log.record("ws", "dead", "no sign of life for 25000 ms");
    const errors = new RecentErrors(10, () => now);
    errors.record("sync pull chat", CourierError.unauthorized());

    const report = await buildDiagnostics({
      db,
      versions: { chat: 204, system: 3, marketing: 0 },
      transportLog: log.list(),
      recentErrors: errors.list(),
      now,
      userAgent: "Mozilla/5.0 test",
    });

    expect(diagnosticsReportSchema.parse(report)).toEqual(report);
    expect(report).toMatchObject({
      appVersion: APP_VERSION,
      versions: { chat: 204, system: 3, marketing: 0 },
      outbox: { count: 2, oldestAgeMs: 60_000, failed: 1 },
      storage: { messages: 200, conversations: 1, outbox: 2, drafts: 1, commands: 0, versions: 0 },
      userAgent: "Mozilla/5.0 test",
    });
    expect(report.transportLog.map((e) => e.event)).toEqual(["hello", "dead"]);
    expect(report.recentErrors).toEqual([{ at: now, message: "sync pull chat: unauthorized (401): Sign in first." }]);
    const json = JSON.stringify(report);
    for (const secret of SECRETS) expect(json).not.toContain(secret);
    expect(json).not.toContain("number 1");
  });

  it("says the outbox is empty with no age", async () => {
    const report = await buildDiagnostics({ db, versions: { chat: 0, system: 0, marketing: 0 }, transportLog: [], recentErrors: [], now: 1 });
    expect(report.outbox).toEqual({ count: 0, oldestAgeMs: null, failed: 0 });
    expect(report.userAgent).toBeUndefined();
  });
});
