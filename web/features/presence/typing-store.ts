import { create } from "zustand";
import { TYPING_SHOWN_MS, TYPING_SIGNAL_MS, type TypingFrame } from "../../../shared/protocol/index.js";
import { t } from "../../i18n/index.js";

/**
 * Who is typing where (Presence, docs/protocol.md): fed by the transports'
 * typing frames (sync-client.ts). Each lasts TYPING_SHOWN_MS after its last
 * signal, or until that person's message arrives. Times are passed in, so
 * the rules run on any clock.
 */
interface TypingState {
  /** conversationId → userId → until when (epoch ms) they show as typing. */
  until: Record<string, Record<string, number>>;
  heard(frame: TypingFrame, now: number): void;
  /** Their message arrived: they are done typing it. */
  stopped(conversationId: string, userId: string): void;
  clear(): void;
}

export const useTyping = create<TypingState>((set) => ({
  until: {},
  heard: ({ conversationId, userId }, now) =>
    set((s) => ({ until: { ...s.until, [conversationId]: { ...prune(s.until[conversationId], now), [userId]: now + TYPING_SHOWN_MS } } })),
  stopped: (conversationId, userId) =>
    set((s) => {
      if (!s.until[conversationId]?.[userId]) return s;
      const { [userId]: _gone, ...rest } = s.until[conversationId];
      return { until: { ...s.until, [conversationId]: rest } };
    }),
  clear: () => set({ until: {} }),
}));

function prune(byUser: Record<string, number> | undefined, now: number): Record<string, number> {
  return Object.fromEntries(Object.entries(byUser ?? {}).filter(([, until]) => until > now));
}

/** Who is typing in the conversation at `now`, and when the first of them stops showing (null: nobody). */
export function typingAt(byUser: Record<string, number> | undefined, now: number): { userIds: string[]; nextChange: number | null } {
  const live = Object.entries(byUser ?? {}).filter(([, until]) => until > now);
  live.sort((a, b) => a[0].localeCompare(b[0]));
  return { userIds: live.map(([id]) => id), nextChange: live.length ? Math.min(...live.map(([, until]) => until)) : null };
}

/**
 * What the header says: "typing…" in a direct or item chat (the name is the
 * title already), "Ann is typing…" in a group, "2 people are typing…" for
 * two or more. Null when nobody is.
 */
export function typingText(names: readonly string[], group: boolean): string | null {
  if (names.length === 0) return null;
  if (names.length > 1) return t("presence.typing.many", { number: names.length });
  return group ? t("presence.typing.one", { name: names[0] }) : t("presence.typing.direct");
}

/**
 * The sending side: at most one signal per TYPING_SIGNAL_MS while the text
 * changes; a new conversation starts afresh.
 */
export class TypingSignal {
  private last = Number.NEGATIVE_INFINITY;
  private conversationId: string | null = null;

  constructor(
    private readonly send: (conversationId: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The composer's text changed to `text` in `conversationId`. */
  changed(conversationId: string, text: string): void {
    if (conversationId !== this.conversationId) {
      this.conversationId = conversationId;
      this.last = Number.NEGATIVE_INFINITY;
    }
    // Sent or cleared: the next keystroke starts a new message and signals at once.
    if (text.trim() === "") return this.reset();
    const now = this.now();
    if (now - this.last < TYPING_SIGNAL_MS) return;
    this.last = now;
    this.send(conversationId);
  }

  /** Sent or cleared: the next keystroke signals at once. */
  reset(): void {
    this.last = Number.NEGATIVE_INFINITY;
  }
}
