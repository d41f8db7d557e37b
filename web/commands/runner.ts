import { Dexie, type Transaction } from "dexie";
import { ZodError } from "zod";
import { COMMAND_NAMES, commandArgsSchemas, type CommandName, type CommandReport, type EntryData } from "../../shared/protocol/index.js";
import { decide } from "../api/errors.js";
import type { CourierDb } from "../db/database.js";
import type { CommandRow } from "../db/records.js";

/** What each command does on this device (sync-client.ts wires them). */
export interface CommandActions {
  /** Drops local data and takes a snapshot, keeping the outbox; resolves once it has landed. */
  resync(): Promise<void>;
  /** The report (diagnostics.ts): no message text, no tokens. */
  diagnostics(): Promise<Record<string, unknown>>;
  mute(conversationId: string): Promise<void>;
  deleteConversation(conversationId: string): Promise<void>;
  /** Signs this device out as the app's sign-out does, keeping unsent messages. */
  signOut(): Promise<void>;
}

export interface CommandRunnerOptions {
  db: CourierDb;
  deviceId: string;
  actions: CommandActions;
  /** `POST /api/devices/:deviceId/commands/:id`. */
  report(id: string, report: CommandReport): Promise<void>;
  /**
   * Whether this device signed in after `at` (device-db.ts): a `sign_out`
   * from before then revoked an earlier session and is not run again.
   */
  signedInAfter?(at: number): boolean;
  /** Something failed (for the diagnostics' recent errors). */
  onError?(where: string, error: unknown): void;
  /** Epoch ms; injected by tests. */
  now?: () => number;
}

/**
 * A command recorded as running this long ago, and not by this page, was
 * cut short (the tab closed, the browser crashed): it is reported failed,
 * never run again.
 */
export const STALE_RUNNING_MS = 10 * 60_000;
export const INTERRUPTED = "Interrupted: the app closed while it ran; not run again.";

type Outcome = {
  status: "done" | "failed";
  detail?: string;
  report?: Record<string, unknown>;
  /** sign_out: the server revoked the session and recorded the result itself; this runs instead of a report (a 401 now would read as an expired session, keeping the history). */
  instead?: () => Promise<void>;
};

/**
 * Runs the server's commands (`cmd` entries, docs/messages.md) once per
 * device, and reports how each went.
 *
 *   cmd entry ──(inside the consuming transaction)──▶ id in `commands`? ── yes ──▶ nothing
 *        │ no                                              (seen before: a replay after a
 *        ▼                                                  resync, another tab, a re-pull)
 *   for another device? ── yes ──▶ recorded "skipped", never reported
 *        │ no
 *        ▼
 *   recorded "running" ──(after the commit)──▶ run, one at a time, in order
 *        ──▶ "done" / "failed" + reason ──▶ report ──ok──▶ reported
 *                                             └─failed──▶ again on the next hello
 *
 * `sign_out` is recorded "done" when taken (the server revoked the session
 * and recorded the result) and runs at once, with no report; one appended
 * before this device last signed in is "skipped".
 *
 * The id is recorded in the same transaction that consumes the entry, before
 * anything runs: a crash after the commit leaves a "running" row, which a
 * later page reports as interrupted rather than running it a second time.
 * The `commands` table survives resyncs and sign-outs (only "Delete them"
 * drops the whole database).
 */
export class CommandRunner {
  private queue: Promise<void> = Promise.resolve();
  /** Taken by this page and not finished yet. */
  private readonly active = new Set<string>();
  private stopped = false;
  /** Commands taken in a transaction still open, in the order taken. */
  private readonly taken = new WeakMap<Transaction, Array<EntryData<"cmd">>>();
  private readonly now: () => number;

  constructor(private readonly opts: CommandRunnerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Inside the transaction consuming the entry (appended at `at`): records it if new, and runs it after the commit. */
  async take(command: EntryData<"cmd">, at: number): Promise<void> {
    const { db, deviceId } = this.opts;
    if (await db.commands.get(command.id)) return;
    const mine = command.deviceId === undefined || command.deviceId === deviceId;
    const signOut = command.name === "sign_out";
    const past = signOut && (this.opts.signedInAfter?.(at) ?? false);
    // sign_out is done on the server already (it revoked the session and recorded the result): nothing to report.
    const status = !mine || past ? "skipped" : signOut ? "done" : "running";
    const row: CommandRow = { id: command.id, name: command.name, at: this.now(), status, reported: status !== "running" };
    if (past) row.detail = "From before this device signed in again: its session was revoked then.";
    await db.commands.add(row);
    if (status === "skipped") return;
    this.active.add(command.id);
    this.afterCommit(command);
  }

  /** Sends the reports that did not get through, and reports commands cut short by an earlier page (on every hello). */
  retryReports(): Promise<void> {
    return this.enqueue(() => this.retry());
  }

  /** Nothing more runs or is reported from this page. */
  stop(): void {
    this.stopped = true;
  }

  /** Resolves once what is queued now has run (tests). */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Runs the command once the current transaction has committed (never if it aborts), after those taken before it. */
  private afterCommit(command: EntryData<"cmd">): void {
    const tx = Dexie.currentTransaction as Transaction | null;
    if (!tx) {
      void this.enqueue(() => this.run(command));
      return;
    }
    let batch = this.taken.get(tx);
    if (!batch) {
      const commands: Array<EntryData<"cmd">> = (batch = []);
      this.taken.set(tx, commands);
      tx.on("complete", () => commands.forEach((c) => void this.enqueue(() => this.run(c))));
      tx.on("abort", () => commands.forEach((c) => this.active.delete(c.id)));
    }
    batch.push(command);
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(task).catch((error: unknown) => this.opts.onError?.("commands", error));
    return this.queue;
  }

  private async run(command: EntryData<"cmd">): Promise<void> {
    if (this.stopped) return;
    const outcome = await this.execute(command);
    if (outcome.instead) {
      // At once (recorded done when taken): the closed connection's 401 must not end the session first, keeping the history.
      this.active.delete(command.id);
      return outcome.instead();
    }
    if (outcome.status === "failed") this.opts.onError?.(`command ${command.name}`, outcome.detail);
    await this.opts.db.commands.update(command.id, { status: outcome.status, detail: outcome.detail, reported: false });
    this.active.delete(command.id);
    await this.send(command.id, outcome);
  }

  private async execute(command: EntryData<"cmd">): Promise<Outcome> {
    const name = command.name as CommandName;
    if (!COMMAND_NAMES.includes(name)) return { status: "failed", detail: `Unknown command "${command.name.slice(0, 64)}": this app version cannot run it.` };
    const { actions } = this.opts;
    try {
      switch (name) {
        case "resync":
          await actions.resync();
          return { status: "done" };
        case "diagnostics":
          return { status: "done", report: await actions.diagnostics() };
        case "mute":
          await actions.mute(commandArgsSchemas.mute.parse(command.args).conversationId);
          return { status: "done" };
        case "delete_conversation":
          await actions.deleteConversation(commandArgsSchemas.delete_conversation.parse(command.args).conversationId);
          return { status: "done" };
        case "sign_out":
          return { status: "done", instead: () => actions.signOut() };
      }
    } catch (error) {
      return { status: "failed", detail: reason(error) };
    }
  }

  private async retry(): Promise<void> {
    const { db } = this.opts;
    const rows = await db.commands.filter((row) => !row.reported && !this.active.has(row.id)).toArray();
    for (const row of rows) {
      if (this.stopped) return;
      const outcome = await this.outcomeOf(row);
      if (outcome) await this.send(row.id, outcome);
    }
  }

  /** What to report for a row again; null while another page may still be running it. */
  private async outcomeOf(row: CommandRow): Promise<Outcome | null> {
    if (row.status === "running") {
      if (this.now() - row.at < STALE_RUNNING_MS) return null;
      await this.opts.db.commands.update(row.id, { status: "failed", detail: INTERRUPTED });
      return { status: "failed", detail: INTERRUPTED };
    }
    if (row.status === "skipped") return null;
    // The report is of now, not of when it first failed to get through.
    if (row.status === "done" && row.name === "diagnostics") return { status: "done", report: await this.opts.actions.diagnostics() };
    return { status: row.status, detail: row.detail };
  }

  private async send(id: string, outcome: Outcome): Promise<void> {
    const report: CommandReport = { status: outcome.status };
    if (outcome.detail !== undefined) report.detail = outcome.detail.slice(0, 1000);
    if (outcome.report !== undefined) report.report = outcome.report;
    try {
      await this.opts.report(id, report);
    } catch (error) {
      this.opts.onError?.("command report", error);
      // Offline, or the server busy: again on the next hello. Refused for good (403, 404): never again.
      if (decide(error) !== "give_up") return;
    }
    await this.opts.db.commands.update(id, { reported: true });
  }
}

function reason(error: unknown): string {
  if (error instanceof ZodError) return `Bad arguments: ${error.issues[0]?.message ?? "invalid"}`;
  if (error instanceof Error) return error.message || error.name;
  return "Failed";
}
