import { afterEach, describe, expect, it } from "vitest";
import { LANDED_LINGER_MS, landMessages, useLanding, withLanded } from "./landing.js";
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
});
