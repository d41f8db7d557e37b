import { afterEach, describe, expect, it } from "vitest";
import { keepLanded, LANDED_LINGER_MS, landedBeyond, landedCommits, landMessages, useLanding, withLanded } from "./landing.js";
import { entry, message, msgEntry } from "./test-fixtures.js";

afterEach(() => useLanding.getState().clear());

/** A hand-run timer queue: nothing here waits on a real clock. */
function timers() {
  const due: Array<{ fn: () => void; ms: number }> = [];
  return { schedule: (fn: () => void, ms: number) => due.push({ fn, ms }), due, runAll: () => due.splice(0).forEach((t) => t.fn()) };
}

describe("messages landing (shown while their transaction writes them)", () => {
  it("shows new messages of the entries at once, and lets them go a while after the commit", () => {
    const t = timers();
    const ended = landMessages([msgEntry(message("c1", 5, { body: "hi" })), entry("read", { conversationId: "c1", userId: "u2", seq: 4 }), msgEntry(message("c2", 1))], t.schedule);
    expect(useLanding.getState().byConversation.c1?.map((m) => m.body)).toEqual(["hi"]);
    expect(useLanding.getState().byConversation.c2).toHaveLength(1);
    ended!(true);
    expect(t.due.map((d) => d.ms)).toEqual([LANDED_LINGER_MS]);
    expect(useLanding.getState().byConversation.c1).toHaveLength(1);
    t.runAll();
    expect(useLanding.getState().byConversation).toEqual({});
  });

  it("takes them away at once when the write failed (the engine applies them again later)", () => {
    const t = timers();
    landMessages([msgEntry(message("c1", 5))], t.schedule)!(false);
    expect(useLanding.getState().byConversation).toEqual({});
    expect(t.due).toEqual([]);
  });

  it("ignores entries without a new message to show: none, malformed, deleted for me", () => {
    expect(landMessages([entry("read", { conversationId: "c1", userId: "u2", seq: 4 })])).toBeUndefined();
    expect(landMessages([entry("msg", { message: { id: "broken" } })])).toBeUndefined();
    expect(landMessages([msgEntry(message("c1", 5, { hidden: true }))])).toBeUndefined();
    expect(useLanding.getState().byConversation).toEqual({});
  });

  it("keeps a committed message on screen until a read begun after its commit has it, however long that read takes", () => {
    const t = timers();
    const stored = [message("c1", 1)];
    /** What the conversation shows: its read of IndexedDB with the landed messages kept since the last render. */
    let kept: ReturnType<typeof keepLanded> = [];
    const screen = (read: typeof stored, readAfter: number) => {
      kept = keepLanded(kept, useLanding.getState().byConversation.c1, readAfter);
      return withLanded(read, kept).map((m) => m.seq);
    };
    const staleRead = landedCommits();
    const ended = landMessages([msgEntry(message("c1", 2)), msgEntry(message("c1", 3))], t.schedule)!;
    expect(screen(stored, staleRead)).toEqual([1, 2, 3]);
    ended(true);
    // The store lets them go; the live query has not read again yet (writes kept restarting it).
    t.runAll();
    expect(useLanding.getState().byConversation).toEqual({});
    expect(screen(stored, staleRead)).toEqual([1, 2, 3]);
    expect(screen(stored, staleRead)).toEqual([1, 2, 3]);
    // A read begun after the commit has them, or left one out on purpose (deleted for me): from then on, only the read counts.
    const fresh = landedCommits();
    expect(screen([message("c1", 1), message("c1", 2)], fresh)).toEqual([1, 2]);
    expect(kept).toEqual([]);
  });

  it("does not keep one whose write failed (the engine lands it again)", () => {
    const ended = landMessages([msgEntry(message("c1", 2))])!;
    const kept = keepLanded([], useLanding.getState().byConversation.c1, landedCommits());
    expect(kept.map((m) => m.seq)).toEqual([2]);
    ended(false);
    expect(keepLanded(kept, useLanding.getState().byConversation.c1, 0)).toEqual([]);
  });

  it("lists each message once, the stored copy first, never one older than what is stored after it", () => {
    const stored = [message("c1", 1), message("c1", 2)];
    const landed = [message("c1", 2), message("c1", 4), message("c1", 3), message("c1", 4)];
    expect(withLanded(stored, landed).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    // The stored copy wins: it may have changed since (recalled).
    const recalled = { ...message("c1", 2), recalled: true, body: "" };
    expect(withLanded([message("c1", 1), recalled], [message("c1", 2)])[1]).toBe(recalled);
    // Older than the newest stored (a later page, a re-read): left to IndexedDB.
    expect(withLanded([message("c1", 1), message("c1", 3)], [message("c1", 2)]).map((m) => m.seq)).toEqual([1, 3]);
    expect(withLanded(stored, undefined)).toBe(stored);
  });

  it("an open conversation is not drawn again when a message it already read back leaves, nor for another conversation's", () => {
    const t = timers();
    const first = landMessages([msgEntry(message("c1", 5)), msgEntry(message("c2", 1))], t.schedule)!;
    const second = landMessages([msgEntry(message("c2", 2))], t.schedule)!;
    // Before the commit and its re-read: the new one is what the screen adds; after: nothing, the same empty list.
    expect(landedBeyond([message("c1", 4)], useLanding.getState().byConversation.c1).map((m) => m.seq)).toEqual([5]);
    const readBack = [message("c1", 4), message("c1", 5)];
    const before = landedBeyond(readBack, useLanding.getState().byConversation.c1);
    expect(before).toEqual([]);
    second(true);
    const c1 = useLanding.getState().byConversation.c1;
    t.runAll();
    // c2's message 2 left; c1's list is the same one.
    expect(useLanding.getState().byConversation.c1).toBe(c1);
    first(true);
    t.runAll();
    expect(landedBeyond(readBack, useLanding.getState().byConversation.c1)).toBe(before);
    expect(useLanding.getState().byConversation).toEqual({});
  });
});
