import type { User } from "../../../shared/protocol/index.js";
import { isKnownKind, UNSUPPORTED_MESSAGE_TEXT } from "../../api/lenient.js";
import type { StoredMessage as Message, StoredSummary as Summary } from "../../db/records.js";

/** Remark, else group title, else the other member's name, else the listing's title. */
export function conversationTitle(summary: Summary, me: string): string {
  if (summary.remark.trim()) return summary.remark.trim();
  const { conversation } = summary;
  if (conversation.type === "group" && conversation.title) return conversation.title;
  const other = otherMembers(summary, me)[0];
  if (other) return other.displayName || other.username;
  if (summary.item?.title) return summary.item.title;
  if (conversation.title) return conversation.title;
  return conversation.type === "group" ? "Group" : "Conversation";
}

export function otherMembers(summary: Summary, me: string): User[] {
  return (summary.members ?? []).filter((m) => m.id !== me);
}

export function memberName(summary: Summary | undefined, userId: string): string {
  const member = summary?.members?.find((m) => m.id === userId);
  return member ? member.displayName || member.username : "Someone";
}

/** One line of plain text for the list. */
export function messagePreview(message: Message | null, summary: Summary, me: string): string {
  if (!message) return summary.conversation.type === "item" && summary.item ? `About: ${summary.item.title}` : "No messages yet";
  if (message.recalled) return "Message recalled";
  // A kind from a newer server: its body may not be meant as text.
  const text = isKnownKind(message.kind) ? message.body.replace(/\s+/g, " ").trim() : UNSUPPORTED_MESSAGE_TEXT;
  if (message.kind === "system") return text;
  if (message.senderId === me) return `You: ${text}`;
  if (summary.conversation.type === "group") return `${memberName(summary, message.senderId)}: ${text}`;
  return text;
}

/** Newest activity first. */
export function activityAt(summary: Summary): number {
  return Math.max(summary.lastMessage?.at ?? 0, summary.conversation.at);
}

/** Pinned first, then newest activity. */
export function compareSummaries(a: Summary, b: Summary): number {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
  return activityAt(b) - activityAt(a);
}
