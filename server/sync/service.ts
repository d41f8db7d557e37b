import {
  CourierError,
  ackRequestSchema,
  type Domain,
  parseInput,
  type PingResponse,
  pingRequestSchema,
  PULL_LIMIT_DEFAULT,
  PULL_ONLY_RANGES_MAX,
  inRanges,
  parseRanges,
  type PullResponse,
  pullRequestSchema,
  type TransportName,
  type Versions,
} from "../../shared/protocol/index.js";
import type { Context } from "../context.js";
import type { AckTurn } from "./ack-queue.js";
import { ack as applyAck } from "./log.js";

/** Pull and ack, shared by HTTP and every transport's request events. */

/** `deviceId`: the device pulling, when the request names one (the delivery events: a pull may compensate a lost push). */
export async function pull(ctx: Context, userId: string, deviceId: string | null, payload: unknown): Promise<PullResponse> {
  const req = parseInput(pullRequestSchema, payload, "pull");
  const only = req.only === undefined ? null : parseRanges(req.only, req.after);
  if (only === null && req.only !== undefined) {
    throw CourierError.badRequest(`Only must list at most ${PULL_ONLY_RANGES_MAX} ascending versions and ranges after \`after\`, like 4,6-9.`);
  }
  const page = await ctx.sync.pull(userId, req.d as Domain, req.after, req.limit ?? PULL_LIMIT_DEFAULT);
  // A sparse pull: the page as always (reset and head included), without what the client holds.
  const answer = only ? { ...page, entries: inRanges(page.entries, only) } : page;
  if (answer.reset) ctx.events.resynced(userId, "reset", ctx.clock());
  else if (answer.entries.length > 0) ctx.events.pulled(userId, deviceId, answer.entries, ctx.clock());
  return answer;
}

/**
 * Returns the device's acked versions after applying; receipts it triggers
 * are pushed. Every transport's ack comes through here: the retransmitter
 * hears of it at once (no re-push of what it covers while it waits), then it
 * goes into the process's ack queue (`ack-queue.ts`: one write at a time per
 * device, acks that wait merged, a cap on ack writes running at once), which
 * applies them with `applyAckTurn`. `transport`: what carried the ack, where
 * the caller knows (a socket's ack, a poll's cursor); an HTTP ack says nothing.
 */
export async function ack(ctx: Context, userId: string, deviceId: string, payload: unknown, transport?: TransportName): Promise<{ acks: Versions }> {
  const { acks } = parseInput(ackRequestSchema, payload, "ack");
  ctx.retransmit.received(userId, deviceId, acks);
  return { acks: await ctx.acks.submit(userId, deviceId, acks, transport) };
}

/**
 * One device's (merged) acks in one write. The retransmitter hears of each
 * write, and so do the delivery events (what it newly acked, read in its own
 * transaction).
 */
export async function applyAckTurn(ctx: Context, { userId, deviceId, acks, transport }: AckTurn): Promise<Versions> {
  const { acks: after, entries } = await ctx.storage.write((tx) => applyAck(tx, userId, deviceId, acks, ctx.clock()));
  ctx.delivery.acks++;
  ctx.retransmit.acked(userId, deviceId, after);
  if (entries.length > 0) ctx.events.acked(transport ? { userId, deviceId, transport } : { userId, deviceId }, entries, ctx.clock());
  return after;
}

/**
 * `POST /api/sync/ping`, the heartbeat of a device on SSE (extension,
 * docs/delivery.md): `ping {at, echo}` is written on the device's SSE streams
 * in this process (each counts it as a sign of life); `streams` says how many.
 * With none here it is relayed to the other processes, whose streams answer.
 */
export function ping(ctx: Context, userId: string, deviceId: string, payload: unknown): PingResponse {
  // A body-less ping is the common case.
  const { echo } = parseInput(pingRequestSchema, payload ?? {}, "ping");
  return { at: ctx.clock(), streams: ctx.hub.heartbeat(userId, deviceId, echo) };
}
