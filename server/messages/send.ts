import { type Message, parseInput, sendRequestSchema } from "../../shared/protocol/index.js";
import type { Context } from "../context.js";

/**
 * Sending, shared by every transport. Validates, rate-limits, stores (idempotent on
 * sender + clientMsgId) and, once committed, hands the new entries to the hub.
 */
export async function send(ctx: Context, senderId: string, payload: unknown): Promise<{ message: Message; created: boolean }> {
  const input = parseInput(sendRequestSchema, payload, "message");
  // Per user across HTTP and sockets; a refused send stores and appends nothing.
  ctx.limits.sendPerUser.enforce(senderId, "messages");
  const sent = await ctx.storage.sendMessage(senderId, input, ctx.clock());
  ctx.hub.publish(sent.appended);
  return { message: sent.message, created: sent.created };
}
