import { type Command, type CommandResult, commandNameSchema, type DeviceDiagnostics } from "../../shared/protocol/index.js";

/**
 * Commands and their results as both engines store them (the same column
 * names): args and reports are JSON text, a result without a report has
 * none (left out, never undefined).
 */

export interface CommandRow {
  id: string;
  user_id: string;
  device_id: string | null;
  name: string;
  args: string;
  at: number;
}

export interface CommandResultRow {
  device_id: string;
  status: string;
  detail: string | null;
  report: string | null;
  at: number;
}

export const toCommand = (r: CommandRow): Command => ({
  id: r.id,
  userId: r.user_id,
  deviceId: r.device_id,
  name: commandNameSchema.parse(r.name),
  args: JSON.parse(r.args) as Record<string, unknown>,
  at: r.at,
});

export const toCommandResult = (r: CommandResultRow): CommandResult => ({
  deviceId: r.device_id,
  status: r.status === "done" ? "done" : "failed",
  detail: r.detail,
  ...(r.report !== null ? { report: JSON.parse(r.report) as Record<string, unknown> } : {}),
  at: r.at,
});

/** The values of one command's row, in column order (id, user_id, device_id, name, args, at). */
export const commandValues = (c: Command) => [c.id, c.userId, c.deviceId, c.name, JSON.stringify(c.args), c.at];

/** The values of one result's row, in column order (command_id, device_id, status, detail, report, at). */
export const resultValues = (commandId: string, r: CommandResult) => [
  commandId,
  r.deviceId,
  r.status,
  r.detail,
  r.report === undefined ? null : JSON.stringify(r.report),
  r.at,
];

/** A device's latest diagnostics result as `latestDiagnostics` reads it. */
export interface DiagnosticsRow extends CommandResultRow {
  user_id: string;
  command_id: string;
}

export const toDeviceDiagnostics = (r: DiagnosticsRow): DeviceDiagnostics => ({
  userId: r.user_id,
  deviceId: r.device_id,
  commandId: r.command_id,
  at: r.at,
  result: toCommandResult(r),
});

/**
 * The latest `diagnostics` result per device (newest first), of one user when
 * the first parameter is not null; `param(n)` spells the engine's n-th
 * placeholder (parameters: user id or null, the same again, the limit).
 */
export const latestDiagnosticsSql = (param: (n: number) => string) => `
  SELECT user_id, device_id, command_id, status, detail, report, at FROM (
    SELECT c.user_id, r.device_id, r.command_id, r.status, r.detail, r.report, r.at,
           ROW_NUMBER() OVER (PARTITION BY c.user_id, r.device_id ORDER BY r.at DESC, r.command_id DESC) AS n
    FROM command_results r JOIN commands c ON c.id = r.command_id
    WHERE c.name = 'diagnostics' AND (${param(1)} IS NULL OR c.user_id = ${param(2)})
  ) latest
  WHERE n = 1 ORDER BY at DESC, device_id LIMIT ${param(3)}`;
