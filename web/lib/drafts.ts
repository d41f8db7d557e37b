/**
 * Unsent composer text, per conversation, kept in localStorage so it
 * survives a reload: `courier.draft.<conversationId>`. Storage can be
 * missing or refuse writes (private mode, quota): then drafts live in memory
 * for as long as the page does.
 */
export const DRAFT_PREFIX = "courier.draft.";

type DraftStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;
type ListableStorage = DraftStorage & Pick<Storage, "key" | "length">;

const memory = new Map<string, string>();

function defaultStorage(): ListableStorage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    // Reading `localStorage` itself throws when storage is blocked.
    return null;
  }
}

export function draftKey(conversationId: string): string {
  return DRAFT_PREFIX + conversationId;
}

export function loadDraft(conversationId: string, storage: DraftStorage | null = defaultStorage()): string {
  const key = draftKey(conversationId);
  try {
    const stored = storage?.getItem(key);
    if (typeof stored === "string") return stored;
  } catch {
    // fall through to memory
  }
  return memory.get(key) ?? "";
}

/** Saves `text` as the draft; blank text (spaces, newlines) removes it. */
export function saveDraft(conversationId: string, text: string, storage: DraftStorage | null = defaultStorage()): void {
  const key = draftKey(conversationId);
  if (!text.trim()) return clearDraft(conversationId, storage);
  try {
    if (storage) {
      storage.setItem(key, text);
      memory.delete(key);
      return;
    }
  } catch {
    // Quota or blocked: the in-memory copy holds it for this page.
  }
  memory.set(key, text);
}

export function clearDraft(conversationId: string, storage: DraftStorage | null = defaultStorage()): void {
  const key = draftKey(conversationId);
  memory.delete(key);
  try {
    storage?.removeItem(key);
  } catch {
    // nothing to do
  }
}

/** Every draft, by conversation (sign-out keeps them for the account: db/unsent.ts). */
export function allDrafts(storage: ListableStorage | null = defaultStorage()): Array<{ conversationId: string; text: string }> {
  const found = new Map(memory);
  try {
    for (const key of storedDraftKeys(storage)) found.set(key, storage?.getItem(key) ?? "");
  } catch {
    // storage blocked: what is in memory is all there is
  }
  return [...found].filter(([, text]) => text.trim()).map(([key, text]) => ({ conversationId: key.slice(DRAFT_PREFIX.length), text }));
}

/**
 * Forgets the drafts read by `allDrafts` once they are kept elsewhere (sign-out
 * on a shared browser), each only while it still holds the text read: one
 * typed since, or another account's restored meanwhile (another tab), stays.
 */
export function forgetDrafts(drafts: Array<{ conversationId: string; text: string }>, storage: DraftStorage | null = defaultStorage()): void {
  for (const { conversationId, text } of drafts) {
    const key = draftKey(conversationId);
    if (memory.get(key) === text) memory.delete(key);
    try {
      if (storage?.getItem(key) === text) storage.removeItem(key);
    } catch {
      // storage blocked: nothing of it was read either
    }
  }
}

function storedDraftKeys(storage: ListableStorage | null): string[] {
  const keys: string[] = [];
  for (let i = 0; i < (storage?.length ?? 0); i++) {
    const key = storage?.key(i);
    if (key?.startsWith(DRAFT_PREFIX)) keys.push(key);
  }
  return keys;
}
