import { create } from "zustand";
import { parseHash, routeHash, type Route } from "./route.js";

// Pure, so the boot script can read the route too (web/boot/first-paint.ts).
export { parseHash, routeHash, type Route };

/** A message to bring into view (a search result, a quoted message): its place, never its text. */
export interface FocusMessage {
  conversationId: string;
  messageId: string;
  seq: number;
}

export interface UiState {
  route: Route;
  navigate(route: Route): void;
  /** Follows the hash when the person uses Back/Forward or opens a link. */
  syncFromLocation(): void;
  /**
   * Set by `jumpToMessage`; the conversation's message list consumes it
   * (loads history around `seq` when it is not held, scrolls to it, marks it)
   * and then calls `clearFocusMessage`.
   */
  focusMessage: FocusMessage | null;
  /** Opens the conversation at one message (search results, replies). */
  jumpToMessage(conversationId: string, messageId: string, seq: number): void;
  clearFocusMessage(): void;
}

/** UI state only: never message or conversation data (those live in IndexedDB). */
export const useUi = create<UiState>()((set, get) => ({
  route: typeof location === "undefined" ? { name: "chats" } : parseHash(location.hash),
  navigate: (route) => {
    const hash = routeHash(route);
    if (location.hash !== hash) location.hash = hash;
    set({ route });
  },
  syncFromLocation: () => set({ route: parseHash(location.hash) }),
  focusMessage: null,
  jumpToMessage: (conversationId, messageId, seq) => {
    get().navigate({ name: "conversation", id: conversationId });
    set({ focusMessage: { conversationId, messageId, seq } });
  },
  clearFocusMessage: () => set({ focusMessage: null }),
}));

export function selectedConversationId(route: Route): string | null {
  return route.name === "conversation" ? route.id : null;
}
