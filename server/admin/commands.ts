import {
  type Command,
  type CommandCreate,
  type CommandReport,
  type CommandResult,
  COMMAND_REPORT_MAX_BYTES,
  CourierError,
  diagnosticsReportSchema,
  isGoneMembership,
  parseInput,
} from "../../shared/protocol/index.js";
import type { Repos } from "../storage/storage.js";

/**
 * The instruction model (docs/messages.md, "Commands"): an admin asks a
 * user's devices to repair themselves. A command is stored and reaches the
 * user's devices as a `cmd` entry in `chat`, in the same write; each device
 * runs it once and reports. Written once against the storage interface.
 */

/** Whose sessions a `sign_out` revoked, so the caller can close their live connections everywhere. */
export interface SignedOut {
  deviceIds: string[];
  sessionIds: string[];
}

export interface Created {
  command: Command;
  signedOut: SignedOut | null;
}

/**
 * Stores the command and appends `cmd {id, name, args, deviceId?}` to the
 * user's chat domain. Unknown user, a device that is not theirs, or a
 * conversation they are not a member of: 404, and nothing is written.
 *
 * `sign_out` also revokes the sessions of the named device (of every device
 * of the user when none is named), after the entry, in the same write: a
 * stolen or offline device is signed out too, and one that is online hears
 * the command before its connections close (the caller closes them once
 * committed), so it can keep its unsent messages for the next sign-in.
 */
export async function createCommand(r: Repos, input: CommandCreate, id: string, at: number): Promise<Created> {
  const { userId, name, args } = input;
  const deviceId = input.deviceId ?? null;
  if (!(await r.users.get(userId))) throw CourierError.notFound("No such user.");
  if (deviceId !== null && (await r.devices.get(deviceId))?.userId !== userId) throw CourierError.notFound("No such device of this user.");
  if ("conversationId" in args) {
    // A conversation the user left may still be on their devices: it can be deleted there, not muted.
    const me = await r.conversations.member(args.conversationId, userId);
    if (!me || (name === "mute" && isGoneMembership(me.state))) throw CourierError.notFound("No such conversation of this user.");
  }
  const command: Command = { id, userId, deviceId, name, args, at };
  await r.commands.insert(command);
  const data = { id, name, args, ...(deviceId !== null ? { deviceId } : {}) };
  await r.log.append([{ userId, d: "chat", k: "cmd", data }], at);
  return { command, signedOut: name === "sign_out" ? await signOut(r, command) : null };
}

/**
 * Revokes the sessions of the command's device, or every session of the user
 * when none is named (one never bound to a device, used only over HTTP, too),
 * recording what the server did as each device's result.
 */
async function signOut(r: Repos, command: Command): Promise<SignedOut> {
  const { userId, deviceId: named } = command;
  const everyDevice = named === null;
  const deviceIds = everyDevice ? (await r.devices.list(userId)).map((d) => d.id) : [named];
  const sessionIds = everyDevice ? await r.sessions.ofUser(userId) : [];
  for (const deviceId of deviceIds) {
    const revoked = await r.sessions.ofDevice(userId, deviceId);
    if (!everyDevice) sessionIds.push(...revoked);
    // The device cannot report once signed out: the server says what it did in its place.
    const detail = `The server revoked this device's sessions (${revoked.length}).`;
    await r.commands.report(command.id, { deviceId, status: "done", detail, at: command.at });
  }
  // Remembered as this command's before they go: a device that presents one later hears why (authenticate.ts).
  await r.sessions.markRevoked(sessionIds, command.id);
  if (named === null) await r.sessions.deleteOfUser(userId);
  else await r.sessions.deleteOfDevice(userId, named);
  return { deviceIds, sessionIds };
}

/**
 * A device's report: the device must be the caller's, the caller's session
 * one that spoke for it (another device of the same user cannot report in
 * its place) and, when the command names one, that one (403); a command of
 * another user is 403 too, an unknown one 404. A repeated report replaces the earlier one. Only
 * `diagnostics` carries a `report`, and it must have the diagnostics shape.
 */
export async function reportCommand(
  r: Repos,
  caller: { userId: string; sessionId: string },
  deviceId: string,
  commandId: string,
  input: CommandReport,
  at: number,
): Promise<void> {
  const { userId, sessionId } = caller;
  const command = await r.commands.get(commandId);
  if (!command) throw CourierError.notFound("No such command.");
  if (command.userId !== userId) throw CourierError.forbidden("This command is for another account.");
  const device = await r.devices.get(deviceId);
  if (device?.userId !== userId) throw CourierError.forbidden("This device is not one of yours.");
  if (device.sessionId !== sessionId && !(await r.sessions.ofDevice(userId, deviceId)).includes(sessionId)) {
    throw CourierError.forbidden("Only the device itself can report for it.");
  }
  if (command.deviceId !== null && command.deviceId !== deviceId) throw CourierError.forbidden("This command is for another device.");
  const result: CommandResult = { deviceId, status: input.status, detail: input.detail ?? null, at };
  if (input.report !== undefined) result.report = checkedReport(command, input.report);
  await r.commands.report(command.id, result);
}

export const reportTooLarge = () => CourierError.tooLarge(`A command report is at most ${COMMAND_REPORT_MAX_BYTES / 1024} KB of JSON.`);

/** How deep a report may nest: deeper JSON is refused before anything stringifies it (that would overflow the stack). */
export const REPORT_MAX_DEPTH = 32;

/** Whether `value` nests objects or arrays more than `left` levels deep (stops looking at that depth). */
function nestsDeeper(value: unknown, left: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (left === 0) return true;
  return Object.values(value).some((v) => nestsDeeper(v, left - 1));
}

/**
 * The diagnostics as the schema knows them (unknown fields dropped): `400`
 * nested too deeply (so no later stringify, here or where the result is
 * stored, can throw), `413` above the size limit, `400` for another shape
 * or command.
 */
export function checkedReport(command: Pick<Command, "name">, report: Record<string, unknown>): Record<string, unknown> {
  if (nestsDeeper(report, REPORT_MAX_DEPTH)) throw CourierError.badRequest(`The report nests too deeply (at most ${REPORT_MAX_DEPTH} levels).`);
  if (Buffer.byteLength(JSON.stringify(report)) > COMMAND_REPORT_MAX_BYTES) {
    throw reportTooLarge();
  }
  if (command.name !== "diagnostics") throw CourierError.badRequest(`Only diagnostics carries a report; say how ${command.name} went in detail.`);
  return parseInput(diagnosticsReportSchema, report, "report");
}

/** `GET /api/admin/commands/:id`: the command and each device's latest report. */
export async function commandWithResults(r: Repos, id: string): Promise<{ command: Command; results: CommandResult[] }> {
  const command = await r.commands.get(id);
  if (!command) throw CourierError.notFound("No such command.");
  return { command, results: await r.commands.results(id) };
}
