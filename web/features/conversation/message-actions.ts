import { create } from "zustand";
import { CourierError, RECALL_WINDOW_MS_DEFAULT } from "../../../shared/protocol/index.js";
import { describeError } from "../../api/errors.js";
import { applyOwnChange } from "../../db/consumers.js";
import type { OutboxRow, StoredMessage } from "../../db/records.js";
import { t } from "../../i18n/index.js";
import type { Session } from "../../session.js";
import { useConnection } from "../../stores/connection.js";

/** How long after a recall its sender may "Edit again" (the text is held in this tab's memory only). */
export const EDIT_AGAIN_MS = 5 * 60_000;

/**
 * How long after its `at` a message of mine offers Recall: the server's
 * `RECALL_WINDOW_MS` from its hello, else the default (the server refuses
 * later ones with 409).
 */
export function recallWindowMs(): number {
  return useConnection.getState().recallWindowMs ?? RECALL_WINDOW_MS_DEFAULT;
}

export function canRecall(message: StoredMessage, me: string, now: number, windowMs = recallWindowMs()): boolean {
  return message.senderId === me && (message.kind === "text" || message.kind === "image") && !message.recalled && now - message.at < windowMs;
}

/**
 * What this tab holds in memory only, never in IndexedDB (docs/messages.md):
 * the text of my recent recalls, keyed by clientMsgId, for "Edit again";
 * and the messages being deleted for me while the server is asked (hidden
 * from the screen at once, shown again if it refuses).
 */
interface ActionMemory {
  recalled: Map<string, { text: string; at: number }>;
  hiding: ReadonlySet<string>;
  remember(clientMsgId: string, text: string, at: number): void;
  forget(clientMsgId: string): void;
  setHiding(id: string, on: boolean): void;
}

export const useActionMemory = create<ActionMemory>()((set) => ({
  recalled: new Map(),
  hiding: new Set(),
  remember: (clientMsgId, text, at) => set((s) => ({ recalled: new Map(s.recalled).set(clientMsgId, { text, at }) })),
  forget: (clientMsgId) =>
    set((s) => {
      const recalled = new Map(s.recalled);
      recalled.delete(clientMsgId);
      return { recalled };
    }),
  setHiding: (id, on) =>
    set((s) => {
      const hiding = new Set(s.hiding);
      if (on) hiding.add(id);
      else hiding.delete(id);
      return { hiding };
    }),
}));

/** The text "Edit again" puts back, while it may. */
export function editableText(clientMsgId: string, now: number): string | null {
  const held = useActionMemory.getState().recalled.get(clientMsgId);
  return held && now - held.at < EDIT_AGAIN_MS ? held.text : null;
}

export function tooLateToRecall(windowMs = recallWindowMs()): string {
  if (windowMs <= 0) return t("conversation.actions.recallNotAllowed");
  return windowMs < 60_000
    ? t("conversation.actions.tooLateSeconds", { count: Math.round(windowMs / 1000) })
    : t("conversation.actions.tooLateMinutes", { count: Math.round(windowMs / 60_000) });
}

function recallError(error: unknown): string {
  if (error instanceof CourierError && error.code === "conflict") return tooLateToRecall();
  return t("conversation.actions.notRecalled", { reason: describeError(error) });
}

/**
 * Recalls my message; the text leaves this device as soon as the server
 * agrees (its `recall` entry, arriving later, changes nothing more). Answers
 * an error to show, or null.
 */
export async function recall(session: Session, message: StoredMessage, now = Date.now()): Promise<string | null> {
  const { api, db, user } = session;
  try {
    const tombstone = await api.recallMessage(message.id);
    useActionMemory.getState().remember(message.clientMsgId, message.body, now);
    await applyOwnChange(db, user.id, {
      k: "recall",
      data: { conversationId: message.conversationId, messageId: message.id, seq: message.seq, by: user.id, at: tombstone.at },
    });
    return null;
  } catch (error) {
    return recallError(error);
  }
}

/** Recall of a message not confirmed yet: it is never sent; one already on its way is recalled once it is. */
export async function recallPending(session: Session, row: OutboxRow, now = Date.now()): Promise<string | null> {
  const sent = await session.client.outbox.cancel(row.clientMsgId);
  if (!sent) return null;
  return recall(session, sent, now);
}

/**
 * Delete for me: off the screen at once; off this device once the server
 * agrees (its `hide` entry reaches my other devices). A refusal puts it back
 * and answers why.
 */
export async function hide(session: Session, message: StoredMessage): Promise<string | null> {
  const { api, db, user } = session;
  const memory = useActionMemory.getState();
  memory.setHiding(message.id, true);
  try {
    await api.hideMessage(message.id);
    await applyOwnChange(db, user.id, { k: "hide", data: { conversationId: message.conversationId, messageId: message.id } });
    return null;
  } catch (error) {
    return t("conversation.actions.notDeleted", { reason: describeError(error) });
  } finally {
    memory.setHiding(message.id, false);
  }
}

export async function copyText(text: string): Promise<string> {
  try {
    await navigator.clipboard.writeText(text);
    return t("conversation.actions.copied");
  } catch {
    return t("conversation.actions.copyFailed");
  }
}
