import type { CourierDb } from "../../db/database.js";
import { useLanding } from "../../db/landing.js";
import type { StoredMessage } from "../../db/records.js";
import { t } from "../../i18n/index.js";
import { chatName, memberName, previewParts } from "../conversations/summary-text.js";

/** How many announcements the region keeps (older ones have been read; a screen reader reads additions only). */
export const KEPT = 5;
/** Elsewhere, a message older than this when it lands (a catch-up after a long sleep) is not announced. */
export const FRESH_MS = 60_000;
/**
 * How many message ids the announcer remembers having seen: a write that fails
 * lands its messages again moments later, and they must not be told twice. The
 * oldest are forgotten first, so a long session does not grow it for ever.
 */
export const TOLD_MAX = 2_000;

export interface Announcement {
  key: string;
  text: string;
}

export interface LandingWatch {
  db: CourierDb;
  me: string;
  /** Read at each landing: the people I block now, the conversation open now. */
  blocked(): ReadonlySet<string>;
  open(): string | null;
  say(items: Announcement[]): void;
  now?: () => number;
}

/**
 * Words what lands by sync for a screen reader (MessageAnnouncer): each new
 * message once, never my own nor from someone I block. In the open
 * conversation "Bob: text"; in another "New message in Bob's chat", its text
 * staying private to the list. Returns the unsubscribe.
 *
 * Messages land (useLanding) inside DexieSyncStore.apply, just before it opens
 * its write (Dexie opens it in a microtask of db.transaction()). The summaries
 * that name them are read on the next task, so that read is opened after that
 * write: IndexedDB runs transactions over the same stores in the order they
 * were opened, and a read opened first held each catch-up page's write back
 * until the page had handled the read's answer (20–60 ms a page,
 * docs/benchmarks.md CATCHUP6). Read after the write, it also finds the
 * summary of a conversation that arrived in the same batch.
 */
export function watchLandings(watch: LandingWatch): () => void {
  const { me, say } = watch;
  const told = new Set<string>();
  return useLanding.subscribe((landing, before) => {
    const blocked = watch.blocked();
    const fresh: StoredMessage[] = [];
    for (const [id, list] of Object.entries(landing.byConversation)) {
      if (list === before.byConversation[id]) continue;
      for (const m of list) {
        if (told.has(m.id)) continue;
        told.add(m.id);
        // A Set iterates in insertion order: the first is the oldest.
        if (told.size > TOLD_MAX) told.delete(told.values().next().value as string);
        if (m.senderId !== me && !m.recalled && !blocked.has(m.senderId)) fresh.push(m);
      }
    }
    if (fresh.length === 0) return;
    // A read that fails (the database closing at sign-out) has nothing to say.
    setTimeout(() => void announce(watch, fresh).then(say, () => {}), 0);
  });
}

/** Only the last KEPT stay in the region: worded newest first, the older ones not at all. Their summaries in one read. */
async function announce({ db, me, open, now = Date.now }: LandingWatch, fresh: readonly StoredMessage[]): Promise<Announcement[]> {
  const ids = [...new Set(fresh.map((m) => m.conversationId))];
  const rows = await db.conversations.bulkGet(ids);
  const summaries = new Map(ids.map((id, i) => [id, rows[i]]));
  const openId = open();
  const items: Announcement[] = [];
  for (let i = fresh.length - 1; i >= 0 && items.length < KEPT; i--) {
    const m = fresh[i]!;
    const summary = summaries.get(m.conversationId);
    if (!summary) continue;
    if (m.conversationId === openId) {
      const parts = previewParts(m, summary, me);
      items.unshift({ key: m.id, text: m.kind === "system" ? parts.text : t("conversation.announce.inOpen", { name: memberName(summary, m.senderId), text: parts.text }) });
    } else if (m.kind !== "system" && !summary.muted && now() - m.at < FRESH_MS) {
      items.unshift({ key: m.id, text: t("conversation.announce.elsewhere", { title: chatName(summary, me) }) });
    }
  }
  return items;
}
