import type { Command, CommandResult, DeviceDiagnostics } from "../../../shared/protocol/index.js";
import { type CommandResultRow, commandValues, type DiagnosticsRow, latestDiagnosticsSql, resultValues, toCommand, toCommandResult, toDeviceDiagnostics } from "../command-rows.js";
import type { CommandRepo } from "../tx.js";
import { type Db, first } from "./db.js";

/** Commands and their results per device (docs/messages.md). */
export class PgCommands implements CommandRepo {
  constructor(private readonly db: Db) {}

  async insert(c: Command): Promise<void> {
    await this.db.query(`INSERT INTO commands (id, user_id, device_id, name, args, at) VALUES ($1, $2, $3, $4, $5, $6)`, commandValues(c));
  }

  get(id: string): Promise<Command | null> {
    return first(this.db, `SELECT id, user_id, device_id, name, args, at FROM commands WHERE id = $1`, [id], toCommand);
  }

  async report(commandId: string, result: CommandResult): Promise<void> {
    await this.db.query(
      `INSERT INTO command_results (command_id, device_id, status, detail, report, at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (command_id, device_id) DO UPDATE SET status = excluded.status, detail = excluded.detail,
         report = excluded.report, at = excluded.at`,
      resultValues(commandId, result),
    );
  }

  async results(commandId: string): Promise<CommandResult[]> {
    const { rows } = await this.db.query<CommandResultRow>(
      `SELECT device_id, status, detail, report, at FROM command_results WHERE command_id = $1 ORDER BY at, device_id`,
      [commandId],
    );
    return rows.map(toCommandResult);
  }

  async latestDiagnostics(userId: string | null, limit: number): Promise<DeviceDiagnostics[]> {
    // $1 is typed: PostgreSQL cannot tell the type of a parameter that is only compared with NULL.
    const sql = latestDiagnosticsSql((n) => (n === 1 ? "$1::text" : `$${n}`));
    const { rows } = await this.db.query<DiagnosticsRow>(sql, [userId, userId, limit]);
    return rows.map(toDeviceDiagnostics);
  }
}
