import { create } from "zustand";
import { describeError } from "../../api/errors.js";
import { t } from "../../i18n/index.js";
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

/**
 * The offer is made once per account on this browser: dismissed (or its
 * "couldn't reach the push service" acknowledged), it never comes back for
 * that account, in any conversation. Settings can turn notifications on at
 * any time. Another account signing in here gets its own offer.
 */
const offerKey = (userId: string) => `courier.notificationOffer.${userId}`;

export function offerDismissed(userId: string, storage: Pick<Storage, "getItem"> = localStorage): boolean {
  return storage.getItem(offerKey(userId)) === "dismissed";
}

export function dismissOffer(userId: string, storage: Pick<Storage, "setItem"> = localStorage): void {
  storage.setItem(offerKey(userId), "dismissed");
}

/** Said when the browser's push service could not be reached (the offer and Settings). */
export function unreachableText(): string {
  return t("notifications.unreachable");
}
