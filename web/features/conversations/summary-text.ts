import type { User } from "../../../shared/protocol/index.js";
import { isKnownKind, unsupportedMessageText } from "../../api/lenient.js";
import type { OutboxRow, StoredMessage as Message, StoredSummary as Summary } from "../../db/records.js";
import { systemText } from "../conversation/system-text.js";
import { offerHeadline } from "../offers/rules.js";
import { displayNameFor } from "./contacts.js";
import { photoText } from "../photos/attach.js";
import { locationText } from "../../../shared/protocol/index.js";
import { t } from "../../i18n/index.js";

/**
 * THE name of a conversation, wherever it is shown (list, header, search
 * results, dialogs): my remark, else the group's title, else the other
 * member's name (my remark for them first), else the listing's title.
 */
export function conversationTitle(summary: Summary, me: string): string {
  if (summary.remark.trim()) return summary.remark.trim();
  const { conversation } = summary;
  if (conversation.type === "group" && conversation.title) return conversation.title;
  const other = otherMembers(summary, me)[0];
  if (other) return displayNameFor(other);
  if (summary.item?.title) return summary.item.title;
  if (conversation.title) return conversation.title;
  return conversation.type === "group" ? t("chats.untitled.group") : t("chats.untitled.conversation");
}

/**
 * What names a chat among the others (the list, search results, menus and
 * their toasts, announcements): an item chat by its listing, as the list
 * shows it (two chats with one seller are two listings); any other as
 * conversationTitle. The chat's own header names the person, the listing
 * being right under it.
 */
export function chatName(summary: Summary, me: string): string {
  return summary.conversation.type === "item" && summary.item?.title ? summary.item.title : conversationTitle(summary, me);
}

export function otherMembers(summary: Summary, me: string): User[] {
  return (summary.members ?? []).filter((m) => m.id !== me);
}

/**
 * A member's name (my remark for them first); someone who left or was removed
 * keeps theirs on what they wrote (the summary's `formerMembers`).
 */
export function memberName(summary: Summary | undefined, userId: string): string {
  const person = summary?.members?.find((m) => m.id === userId) ?? summary?.formerMembers?.find((m) => m.id === userId);
  return person ? displayNameFor(person) : t("common.someone");
}

/** What turning notifications on is for, here: a group's messages come from anyone in it, so it names the group. */
export function notifyHeadline(summary: Summary, me: string): string {
  if (summary.conversation.type === "group") return t("chats.notify.group", { title: conversationTitle(summary, me) });
  const other = otherMembers(summary, me)[0];
  return other ? t("chats.notify.person", { name: displayNameFor(other) }) : t("chats.notify.someone");
}

/**
 * The list's preview, in parts: `who` ("You", a group member's name) is
 * shown apart so a long name can be cut short without hiding the text, and
 * `status` ("Sending") so a long text can't hide it.
 */
export interface PreviewParts {
  who: string | null;
  text: string;
  /** Mine, still in the outbox: the words come from previewStatusText (or, live, usePreviewStatus). */
  status?: PreviewStatus;
}

export type PreviewStatus = "sending" | "failed";

export function previewStatusText(status: PreviewStatus): string {
  return status === "failed" ? t("chats.preview.notSent") : t("chats.preview.sending");
}

export function previewParts(message: Message | null, summary: Summary, me: string): PreviewParts {
  // An item conversation shows its listing on a line of its own (see the list).
  if (!message) return { who: null, text: t("chats.preview.noMessages") };
  if (message.recalled) return { who: null, text: t("chats.preview.recalled") };
  // A kind from a newer server: its body may not be meant as text.
  const text = message.kind === "image" ? photoText(oneLine(message.body)) : message.kind === "location" ? locationText(message.location) : isKnownKind(message.kind) ? oneLine(message.body) : unsupportedMessageText();
  if (message.kind === "system") return { who: null, text: systemText(text, message.senderId, me, memberName(summary, me)) };
  // Worded as its card words it ("You offered $40.00", "Bob countered with $45.00"), not the server's English body.
  if (message.kind === "offer" && message.offer) {
    const { offer } = message;
    // A counter: the seller's (their offers are all counters), or a buyer's answer to one, which the body says.
    const counter = (!!summary.item && offer.by === summary.item.sellerId) || / countered with \S+$/.test(message.body);
    return { who: null, text: offerHeadline(offer, me, memberName(summary, offer.by), counter) };
  }
  if (message.senderId === me) return { who: t("common.you"), text };
  if (summary.conversation.type === "group") return { who: memberName(summary, message.senderId), text };
  return { who: null, text };
}

/** A message typed here and still in the outbox, newer than anything stored. */
export function pendingPreview(row: Pick<OutboxRow, "body" | "status" | "kind">): PreviewParts {
  return {
    who: t("common.you"),
    text: row.kind === "image" ? photoText(oneLine(row.body)) : oneLine(row.body),
    status: row.status === "failed" ? "failed" : "sending",
  };
}

export function previewString(parts: PreviewParts): string {
  const main = parts.who ? t("chats.preview.withWho", { who: parts.who, text: parts.text }) : parts.text;
  return parts.status ? t("chats.preview.withStatus", { text: main, status: previewStatusText(parts.status) }) : main;
}

/** One line of plain text for the list. */
export function messagePreview(message: Message | null, summary: Summary, me: string): string {
  return previewString(previewParts(message, summary, me));
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** When something last happened in a conversation (the list's order, after pins). */
export function activityAt(summary: Summary): number {
  return Math.max(summary.lastMessage?.at ?? 0, summary.conversation.at);
}
