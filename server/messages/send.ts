import { type Message, parseInput, sendRequestSchema } from "../../shared/protocol/index.js";
import type { Context } from "../context.js";
import { sendMessage } from "./messages.js";

/**
 * Sending, shared by every transport. Validates, rate-limits and stores
 * (idempotent on sender + clientMsgId); storage hands the new entries to the
 * hub once committed.
 */
export async function send(ctx: Context, senderId: string, payload: unknown, deviceId?: string | null): Promise<{ message: Message; created: boolean }> {
  const acceptedAt = ctx.clock();
  const input = parseInput(sendRequestSchema, payload, "message");
  // Per user across HTTP and sockets; a refused send stores and appends nothing.
  await ctx.limits.sendPerUser.enforce(senderId, "messages");
  const sent = await ctx.storage.write((tx) => sendMessage(tx, senderId, input, ctx.clock()));
  // Once, when stored (a repeat stored nothing); messages posted by other rules (offers, system lines): hub-events.ts.
  if (sent.created) {
    const { id: messageId, conversationId, seq, at } = sent.message;
    ctx.events.stored({ messageId, conversationId, seq, senderId, ...(deviceId ? { deviceId } : {}), acceptedAt, at });
  }
  return sent;
}
