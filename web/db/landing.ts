import { create } from "zustand";
import type { Entry } from "../../shared/protocol/index.js";
import { lenientEntryDataSchemas } from "../api/lenient.js";
import type { StoredMessage } from "./records.js";

/**
 * How long a landed message stays here after its transaction committed: the
 * screens' live queries read it back from IndexedDB meanwhile (a few ms), and
 * the list shows one copy (by id) whichever it has. A screen whose read is
 * older than the commit keeps it longer (keepLanded).
 */
export const LANDED_LINGER_MS = 1_000;

/** Transactions with landed messages committed so far; a read begun after the n-th holds the messages of the first n. */
let commits = 0;
const committedIn = new WeakMap<StoredMessage, number>();

/** Take before reading messages from IndexedDB: what keepLanded needs to know which commits the read holds. */
export function landedCommits(): number {
  return commits;
}

/**
 * New messages whose sync entries are being written to IndexedDB right now
 * (DexieSyncStore.apply). The open conversation shows them in the frame they
 * arrive rather than after the commit and the re-read, tens of milliseconds
 * later. The engine applies entries in version order, one run at a time, so
 * messages land here in the order they are stored; a failed write takes them
 * away again (the engine retries it).
 */
interface LandingState {
  /** conversationId → messages being stored, in the order they arrived. */
  byConversation: Record<string, readonly StoredMessage[]>;
  add(messages: readonly StoredMessage[]): void;
  drop(messages: readonly StoredMessage[]): void;
  clear(): void;
}

export const useLanding = create<LandingState>((set) => ({
  byConversation: {},
  add: (messages) =>
    set((state) => {
      const next = { ...state.byConversation };
      for (const m of messages) next[m.conversationId] = [...(next[m.conversationId] ?? []), m];
      return { byConversation: next };
    }),
  drop: (messages) =>
    set((state) => {
      const gone = new Set(messages);
      const next: Record<string, readonly StoredMessage[]> = {};
      for (const [id, list] of Object.entries(state.byConversation)) {
        const kept = list.some((m) => gone.has(m)) ? list.filter((m) => !gone.has(m)) : list;
        if (kept.length) next[id] = kept;
      }
      return { byConversation: next };
    }),
  clear: () => set({ byConversation: {} }),
}));

/**
 * The new messages among entries about to be applied, shown at once (see
 * useLanding). Returns what to call when the write has ended: committed, they
 * leave after LANDED_LINGER_MS; failed, at once.
 */
export function landMessages(entries: readonly Entry[], schedule: (fn: () => void, ms: number) => unknown = setTimeout): ((committed: boolean) => void) | undefined {
  const messages: StoredMessage[] = [];
  for (const entry of entries) {
    if (entry.k !== "msg") continue;
    const parsed = lenientEntryDataSchemas.msg.safeParse(entry.data);
    // Malformed ones are skipped by the consumer too; one deleted for me is never shown.
    if (parsed.success && !parsed.data.message.hidden) messages.push(parsed.data.message);
  }
  if (messages.length === 0) return undefined;
  useLanding.getState().add(messages);
  return (committed) => {
    const drop = () => useLanding.getState().drop(messages);
    if (!committed) return drop();
    commits++;
    for (const m of messages) committedIn.set(m, commits);
    schedule(drop, LANDED_LINGER_MS);
  };
}

/**
 * The landed messages a screen shows along with its read of IndexedDB
 * (`readAfter`: landedCommits() when that read began): those landing now,
 * and those it showed before (`kept`) that left useLanding after their
 * commit while its read is still older than that commit. A live query
 * re-reads only once no write touches its tables while it reads (Dexie
 * aborts and restarts it), so under load a stream of small transactions can
 * hold the read back longer than LANDED_LINGER_MS; without this the
 * messages would leave the screen and come back (a re-mount, a flicker).
 * One the read holds (or leaves out: deleted for me) is not kept; nor one
 * whose write failed (it lands again when the engine retries).
 */
export function keepLanded(kept: readonly StoredMessage[], landed: readonly StoredMessage[] | undefined, readAfter: number): StoredMessage[] {
  const now = landed ?? [];
  const ids = new Set(now.map((m) => m.id));
  const stillUnread = (m: StoredMessage) => (committedIn.get(m) ?? 0) > readAfter;
  return [...kept.filter((m) => !ids.has(m.id) && stillUnread(m)), ...now.filter((m) => !committedIn.has(m) || stillUnread(m))];
}

/**
 * A conversation's newest messages as read from IndexedDB (oldest first),
 * followed by those still landing that are newer than all of them: each
 * message once (by id), never one ahead of an older one.
 */
export function withLanded(stored: StoredMessage[], landed: readonly StoredMessage[] | undefined): StoredMessage[] {
  const extra = landedBeyond(stored, landed);
  if (extra.length === 0) return stored;
  const seen = new Set<string>();
  const unique = [...extra].sort((a, b) => a.seq - b.seq).filter((m) => !seen.has(m.id) && (seen.add(m.id), true));
  return [...stored, ...unique];
}

const NONE: readonly StoredMessage[] = [];

/**
 * The landing messages withLanded would add after `stored` (newer than all of
 * them, not among them). A screen that selects this rather than the whole
 * landing list is not drawn again when messages it already reads from
 * IndexedDB leave (LANDED_LINGER_MS after their commit).
 */
export function landedBeyond(stored: readonly StoredMessage[], landed: readonly StoredMessage[] | undefined): readonly StoredMessage[] {
  if (!landed?.length) return NONE;
  const newest = stored.at(-1)?.seq ?? 0;
  const have = new Set(stored.map((m) => m.id));
  const extra = landed.filter((m) => m.seq > newest && !have.has(m.id));
  return extra.length ? extra : NONE;
}
