import { type Command, type CommandResult, commandNameSchema } from "../../shared/protocol/index.js";

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
