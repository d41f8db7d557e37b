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
  type Versions,
} from "../../shared/protocol/index.js";
import type { Context } from "../context.js";
import { ack as applyAck } from "./log.js";

/** Pull and ack, shared by HTTP and every transport's request events. */

export async function pull(ctx: Context, userId: string, payload: unknown): Promise<PullResponse> {
  const req = parseInput(pullRequestSchema, payload, "pull");
  const only = req.only === undefined ? null : parseRanges(req.only, req.after);
  if (only === null && req.only !== undefined) {
    throw CourierError.badRequest(`Only must list at most ${PULL_ONLY_RANGES_MAX} ascending versions and ranges after \`after\`, like 4,6-9.`);
  }
  const page = await ctx.sync.pull(userId, req.d as Domain, req.after, req.limit ?? PULL_LIMIT_DEFAULT);
  // A sparse pull: the page as always (reset and head included), without what the client holds.
  return only ? { ...page, entries: inRanges(page.entries, only) } : page;
}

/**
 * Returns the device's acked versions after applying; receipts it triggers
 * are pushed. Every transport's ack comes through here, so the retransmitter
 * hears of each one.
 */
export async function ack(ctx: Context, userId: string, deviceId: string, payload: unknown): Promise<{ acks: Versions }> {
  const { acks } = parseInput(ackRequestSchema, payload, "ack");
  const after = await ctx.storage.write((tx) => applyAck(tx, userId, deviceId, acks, ctx.clock()));
  ctx.delivery.acks++;
  ctx.retransmit.acked(userId, deviceId, after);
  return { acks: after };
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
