import { create } from "zustand";
import { describeError } from "../../api/errors.js";
import type { Api } from "../../api/client.js";
import { currentState, disable, enable, type NotificationState } from "../../push/push-client.js";

interface NotificationsStore {
  /** null until read from the browser. */
  state: NotificationState | null;
  busy: boolean;
  /** What went wrong with the last change, in words for the person. */
  error: string | null;
  refresh(): Promise<void>;
  turnOn(api: Api, deviceId: string): Promise<void>;
  turnOff(api: Api, deviceId: string): Promise<void>;
}

/** This browser's notification state, shared by the prompt and the settings. UI state only. */
export const useNotifications = create<NotificationsStore>()((set, get) => {
  const change = async (work: () => Promise<NotificationState>) => {
    if (get().busy) return;
    set({ busy: true, error: null });
    try {
      set({ state: await work() });
    } catch (error) {
      set({ error: describeError(error) });
    } finally {
      set({ busy: false });
    }
  };
  return {
    state: null,
    busy: false,
    error: null,
    refresh: async () => set({ state: await currentState() }),
    turnOn: (api, deviceId) => change(() => enable(api, deviceId)),
    turnOff: (api, deviceId) => change(() => disable(api, deviceId)),
  };
});

const PROMPT_KEY = "courier.notificationPromptDismissedAt";
/** "Not now" is respected for this long before the offer comes back. */
export const PROMPT_QUIET_MS = 14 * 24 * 60 * 60 * 1000;

export function promptDismissedRecently(now = Date.now()): boolean {
  const at = Number(localStorage.getItem(PROMPT_KEY));
  return Number.isFinite(at) && at > 0 && now - at < PROMPT_QUIET_MS;
}

export function dismissPrompt(now = Date.now()): void {
  localStorage.setItem(PROMPT_KEY, String(now));
}

export const UNREACHABLE_TEXT =
  "Courier couldn't reach your browser's push service, so it can't notify you while this tab is closed. Everything else keeps working; try again later.";
