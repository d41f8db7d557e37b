import {
  ackRequestSchema,
  type Domain,
  parseInput,
  PULL_LIMIT_DEFAULT,
  type PullResponse,
  pullRequestSchema,
  type Versions,
} from "../../shared/protocol/index.js";
import type { Context } from "../context.js";

/** Pull and ack, shared by HTTP and every transport's request events. */

export async function pull(ctx: Context, userId: string, payload: unknown): Promise<PullResponse> {
  const req = parseInput(pullRequestSchema, payload, "pull");
  return ctx.storage.pull(userId, req.d as Domain, req.after, req.limit ?? PULL_LIMIT_DEFAULT);
}

/** Returns the device's acked versions after applying; receipts it triggers are pushed. */
export async function ack(ctx: Context, userId: string, deviceId: string, payload: unknown): Promise<{ acks: Versions }> {
  const { acks } = parseInput(ackRequestSchema, payload, "ack");
  const result = await ctx.storage.ack(userId, deviceId, acks, ctx.clock());
  ctx.hub.publish(result.appended);
  return { acks: result.acks };
}
