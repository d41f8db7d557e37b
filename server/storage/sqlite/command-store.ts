import type Database from "better-sqlite3";
import type { Command, CommandResult, DeviceDiagnostics } from "../../../shared/protocol/index.js";
import { type CommandResultRow, type CommandRow, commandValues, type DiagnosticsRow, latestDiagnosticsSql, resultValues, toCommand, toCommandResult, toDeviceDiagnostics } from "../command-rows.js";
import type { CommandRepo } from "../tx.js";

/** Commands and their results per device (docs/messages.md). */
export class CommandStore implements CommandRepo {
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      insert: db.prepare(`INSERT INTO commands (id, user_id, device_id, name, args, at) VALUES (?, ?, ?, ?, ?, ?)`),
      get: db.prepare<[string], CommandRow>(`SELECT * FROM commands WHERE id = ?`),
      report: db.prepare(
        `INSERT INTO command_results (command_id, device_id, status, detail, report, at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (command_id, device_id) DO UPDATE SET status = excluded.status, detail = excluded.detail,
           report = excluded.report, at = excluded.at`,
      ),
      results: db.prepare<[string], CommandResultRow>(
        `SELECT device_id, status, detail, report, at FROM command_results WHERE command_id = ? ORDER BY at, device_id`,
      ),
      latestDiagnostics: db.prepare<[string | null, string | null, number], DiagnosticsRow>(latestDiagnosticsSql((n) => (n === 3 ? "+?" : "?"))), // the limit as +?: see createStores
    };
  }

  insert(c: Command): void {
    this.s.insert.run(...commandValues(c));
  }

  get(id: string): Command | null {
    const row = this.s.get.get(id);
    return row ? toCommand(row) : null;
  }

  report(commandId: string, result: CommandResult): void {
    this.s.report.run(...resultValues(commandId, result));
  }

  results(commandId: string): CommandResult[] {
    return this.s.results.all(commandId).map(toCommandResult);
  }

  latestDiagnostics(userId: string | null, limit: number): DeviceDiagnostics[] {
    return this.s.latestDiagnostics.all(userId, userId, limit).map(toDeviceDiagnostics);
  }
}
