import { create } from "zustand";
import type { User } from "../../../shared/protocol/index.js";
import type { StoredSummary as Summary } from "../../db/records.js";

/**
 * A contact's remark is the remark of my direct conversation with them
 * (docs/messages.md): shown for that person wherever their name appears
 * (sender names, group members, system lines, item chats' titles).
 */
export function contactRemarks(summaries: readonly Summary[], me: string): Map<string, string> {
  const remarks = new Map<string, string>();
  for (const s of summaries) {
    const remark = s.remark.trim();
    if (s.conversation.type !== "direct" || !remark) continue;
    const other = s.conversation.memberIds.find((id) => id !== me);
    if (other) remarks.set(other, remark);
  }
  return remarks;
}

interface ContactsState {
  /** userId → my remark for them. */
  remarks: ReadonlyMap<string, string>;
  setRemarks(remarks: ReadonlyMap<string, string>): void;
}

function sameRemarks(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([id, remark]) => b.get(id) === remark);
}

/**
 * My remarks for people, kept from the stored summaries by the conversation
 * list (always mounted while signed in). The shell subscribes, so a changed
 * remark re-renders every name on screen. UI state only, derived from IndexedDB.
 */
export const useContacts = create<ContactsState>()((set, get) => ({
  remarks: new Map(),
  setRemarks: (remarks) => {
    if (!sameRemarks(get().remarks, remarks)) set({ remarks });
  },
}));

/** The one name of a person on screen: my remark for them, else their display name, else their username. */
export function displayNameFor(person: Pick<User, "id" | "displayName" | "username">): string {
  return useContacts.getState().remarks.get(person.id) ?? (person.displayName || person.username);
}
