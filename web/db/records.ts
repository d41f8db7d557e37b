import type { Domain } from "../../shared/protocol/index.js";
import type { AnyMessage, AnySummary } from "../api/lenient.js";

/**
 * A message as stored: the wire message (with `recalled` once recalled). Its
 * `kind` may be one this app does not know (a newer server; see lenient.ts).
 *
 * Tombstones (db/consumers.ts): a recalled message keeps its row with
 * `recalled: true` and `body: ""`, even one recalled before any copy of it
 * arrived; a message deleted for me keeps a row with `hidden: true` and
 * `body: ""` that no screen shows. Either way a later copy (a pull, a history
 * page, a send's answer) cannot bring its text back.
 */
export type StoredMessage = AnyMessage;

/** The message a reply quotes: its place only, never its text (docs/messages.md). */
export interface ReplyRef {
  id: string;
  seq: number;
}

/** This user's view of one conversation, as the server sends it in `conv` entries. */
export type StoredSummary = AnySummary;

/**
 * The newest message's seq a summary knows of: its conversation's `lastSeq`
 * can lag behind the last message it carries (a message applied before the
 * conv entry that counts it). 0: no message yet.
 */
export function lastSeqOf(summary: Pick<StoredSummary, "conversation" | "lastMessage">): number {
  return Math.max(summary.conversation.lastSeq, summary.lastMessage?.seq ?? 0);
}

/** The highest version of a domain that is durably applied on this device. */
export interface VersionRow {
  d: Domain;
  v: number;
}

export type OutboxStatus = "sending" | "failed";

/**
 * A message typed here and not yet confirmed by the server. It is shown at
 * once and leaves the outbox in the same transaction that stores the
 * server's copy (same clientMsgId), so it is never on screen twice.
 */
export interface OutboxRow {
  clientMsgId: string;
  conversationId: string;
  body: string;
  createdAt: number;
  /**
   * When it was last put in the queue (typed, or Retry pressed): its age for
   * the outbox's age limit. Absent on rows from before the limit existed,
   * which count from `createdAt`.
   */
  queuedAt?: number;
  status: OutboxStatus;
  /** The message this one quotes, kept so an offline reply keeps its quote. */
  replyTo?: ReplyRef;
  /** Why it failed, for the person (status "failed" only). */
  error?: string;
  /**
   * A photo message (absent: text): its photos wait in `outboxPhotos`, `body`
   * is the caption (or ""). features/photos/outbox-photos.ts.
   */
  kind?: "image";
  /** kind "image": the server's id of each photo uploaded so far, by its place (null: not yet), so a retry never uploads one twice. */
  mediaIds?: (string | null)[];
}

/**
 * One photo of a photo message waiting in the outbox (Dexie version 5):
 * written once with its row, and removed with it.
 */
export interface OutboxPhotoRow {
  /** `${clientMsgId}/${n}` */
  id: string;
  clientMsgId: string;
  /** Its place in the message, from 0. */
  n: number;
  blob: Blob;
  /** Measured when attached, to reserve the preview's space. */
  width?: number;
  height?: number;
}

/**
 * Composer text not sent, kept in the account's database only while it is
 * signed out (signed in, drafts live in localStorage: lib/drafts.ts).
 */
export interface DraftRow {
  conversationId: string;
  text: string;
}

/**
 * A command (`cmd` entry) this device has taken: kept across resyncs, so a
 * command seen again after a snapshot is not run twice (commands/runner.ts).
 */
export interface CommandRow {
  id: string;
  name: string;
  at: number;
  status: "running" | "done" | "failed" | "skipped";
  detail?: string;
  /** Reported to the server (a report that failed is sent again later). */
  reported: boolean;
}
