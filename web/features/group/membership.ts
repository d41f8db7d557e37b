import { isGoneMembership, managesGroup, outranks } from "../../../shared/protocol/index.js";
import { lastSeqOf, type StoredSummary as Summary } from "../../db/records.js";
import { t } from "../../i18n/index.js";

/**
 * Where I stand in a conversation (docs/groups.md), from the summary's
 * `membership` (absent from older servers: a member).
 */

/** A group someone I don't know added me to: listed apart, silent, Accept or Decline. */
export function isRequest(summary: Pick<Summary, "membership">): boolean {
  return summary.membership === "request";
}

/** Left, removed or declined: no longer shown in the list, read-only if open. */
export function isGone(summary: Pick<Summary, "membership">): boolean {
  return isGoneMembership(summary.membership ?? "member");
}

/** What an open conversation says once I am no longer in it. */
export function goneText(summary: Pick<Summary, "membership">): string {
  switch (summary.membership) {
    case "removed":
      return t("group.gone.removed");
    case "declined":
      return t("group.gone.declined");
    default:
      return t("group.gone.left");
  }
}

/** The creator and admins add, remove and rename. */
export function canManage(summary: Pick<Summary, "membership" | "role">): boolean {
  return managesGroup({ membership: summary.membership ?? "member", role: summary.role ?? "member" });
}

/** I may remove someone of lower rank (an admin can't remove the creator or another admin). */
export function canRemove(summary: Pick<Summary, "membership" | "role">, theirRole: Summary["role"]): boolean {
  return canManage(summary) && outranks(summary.role ?? "member", theirRole ?? "member");
}

/**
 * Whether this conversation lets me see `userId`'s presence, as the server
 * decides it (server/presence/routes.ts `presenceOf`, the storage's
 * `shareConversation`): both of us active in it (not left, not an open
 * request), and it a group or a chat with a message in it.
 */
export function sharesWith(summary: Pick<Summary, "conversation" | "lastMessage" | "membership" | "roster">, userId: string): boolean {
  if (isGone(summary) || isRequest(summary) || !summary.conversation.memberIds.includes(userId)) return false;
  if (summary.roster?.some((r) => r.userId === userId && r.pending)) return false;
  return summary.conversation.type === "group" || lastSeqOf(summary) > 0;
}

/** "1 member", "3 members · 1 invited": an open request is not a member yet. */
export function memberCountText(summary: Pick<Summary, "conversation" | "roster">): string {
  const invited = (summary.roster ?? []).filter((r) => r.pending).length;
  const members = summary.conversation.memberIds.length - invited;
  const count = t("group.count.members", { count: members });
  return invited > 0 ? t("group.count.withInvited", { members: count, count: invited }) : count;
}
