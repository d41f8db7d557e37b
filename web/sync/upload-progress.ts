import { create } from "zustand";

/**
 * How far the upload of each photo message waiting in the outbox has got
 * (0..1 of its bytes), by clientMsgId. In memory only: progress is not worth
 * an IndexedDB write per event; after a reload a row starts at what it had
 * finished (the ids on the row) and the bar at 0 until its next upload.
 */
interface UploadProgressState {
  byMessage: Readonly<Record<string, number>>;
  set(clientMsgId: string, fraction: number): void;
  clear(clientMsgId: string): void;
}

export const useUploadProgress = create<UploadProgressState>((set) => ({
  byMessage: {},
  set: (clientMsgId, fraction) => set((s) => ({ byMessage: { ...s.byMessage, [clientMsgId]: Math.max(0, Math.min(1, fraction)) } })),
  clear: (clientMsgId) =>
    set((s) => {
      if (!(clientMsgId in s.byMessage)) return s;
      const { [clientMsgId]: _, ...rest } = s.byMessage;
      return { byMessage: rest };
    }),
}));
