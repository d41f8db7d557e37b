import { ACTIVE_MEMBERSHIP } from "../../shared/protocol/index.js";
import type { Repos } from "../storage/storage.js";

/** The active members of the conversation when `userId` is one of them, else null (not a member, a request, gone, or no such conversation). */
export async function activeMembership(r: Repos, userId: string, conversationId: string): Promise<string[] | null> {
  const me = await r.conversations.member(conversationId, userId);
  if (me?.state !== ACTIVE_MEMBERSHIP) return null;
  return (await r.conversations.members(conversationId)).filter((m) => m.state === ACTIVE_MEMBERSHIP).map((m) => m.userId);
}
