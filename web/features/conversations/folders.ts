import type { StoredSummary as Summary } from "../../db/records.js";
import { t } from "../../i18n/index.js";

/**
 * The list's folders (docs/messages.md, Organising): built-in ones, then the
 * person's own labels, then Archived. "Buying" and "Selling" are derived from
 * item chats (am I the listing's seller?), never stored.
 */
export type Folder =
  | { kind: "all" }
  | { kind: "unread" }
  | { kind: "buying" }
  | { kind: "selling" }
  | { kind: "label"; label: string }
  | { kind: "archived" };

export const ALL: Folder = { kind: "all" };

/** A folder as one string (sessionStorage, React keys). */
export function folderKey(folder: Folder): string {
  return folder.kind === "label" ? `label:${folder.label}` : folder.kind;
}

export function parseFolderKey(key: string | null): Folder {
  if (!key) return ALL;
  if (key.startsWith("label:")) return key.length > "label:".length ? { kind: "label", label: key.slice("label:".length) } : ALL;
  switch (key) {
    case "unread":
    case "buying":
    case "selling":
    case "archived":
      return { kind: key };
    default:
      return ALL;
  }
}

export function folderName(folder: Folder): string {
  switch (folder.kind) {
    case "all":
      return t("chats.folders.all");
    case "unread":
      return t("chats.folders.unread");
    case "buying":
      return t("chats.folders.buying");
    case "selling":
      return t("chats.folders.selling");
    case "label":
      return folder.label;
    case "archived":
      return t("chats.folders.archived");
  }
}

/** What an empty folder says. */
export function emptyFolderText(folder: Folder): string {
  switch (folder.kind) {
    case "all":
      return t("chats.emptyFolder.all");
    case "unread":
      return t("chats.emptyFolder.unread");
    case "buying":
      return t("chats.emptyFolder.buying");
    case "selling":
      return t("chats.emptyFolder.selling");
    case "label":
      return t("chats.emptyFolder.label", { label: folder.label });
    case "archived":
      return t("chats.emptyFolder.archived");
  }
}

/** A label as shown and compared: trimmed (the server stores what was typed; "" is none). */
export function labelOf(summary: Pick<Summary, "label">): string {
  return summary.label.trim();
}

/** My own labels: the distinct labels across my conversations, in alphabetical order. */
export function myLabels(summaries: readonly Pick<Summary, "label">[]): string[] {
  const labels = new Set(summaries.map(labelOf).filter((l) => l !== ""));
  return [...labels].sort((a, b) => a.localeCompare(b));
}

/** Every folder the bar shows: the built-ins, my labels, Archived. */
export function foldersFor(summaries: readonly Pick<Summary, "label">[]): Folder[] {
  return [ALL, { kind: "unread" }, { kind: "buying" }, { kind: "selling" }, ...myLabels(summaries).map((label): Folder => ({ kind: "label", label })), { kind: "archived" }];
}

/** Shown as unread: messages I have not read, or marked unread by me. */
export function looksUnread(summary: Pick<Summary, "unread" | "markedUnread">): boolean {
  return summary.unread > 0 || summary.markedUnread === true;
}

/**
 * Whether a conversation belongs in a folder. Archived conversations are only
 * in Archived (the summary says; the server decides what un-archives one).
 */
export function inFolder(summary: Summary, folder: Folder, me: string): boolean {
  if (folder.kind === "archived") return summary.archived === true;
  if (summary.archived) return false;
  switch (folder.kind) {
    case "all":
      return true;
    case "unread":
      return looksUnread(summary);
    case "buying":
      return isItemChat(summary) && summary.item?.sellerId !== me;
    case "selling":
      return isItemChat(summary) && summary.item?.sellerId === me;
    case "label":
      return labelOf(summary) === folder.label;
  }
}

/** An item chat whose listing I know (without it, buyer and seller can't be told apart). */
function isItemChat(summary: Summary): boolean {
  return summary.conversation.type === "item" && !!summary.item;
}

/** The folder still exists (a label may have gone from every conversation, on this device or another). */
export function folderExists(folder: Folder, folders: readonly Folder[]): boolean {
  return folders.some((f) => folderKey(f) === folderKey(folder));
}

/** Pinned first, then the newest activity. */
export function byPinThenActivity<T extends { pinned: boolean; at: number }>(a: T, b: T): number {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
  return b.at - a.at;
}
