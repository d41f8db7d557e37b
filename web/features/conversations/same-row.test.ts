import { describe, expect, it } from "vitest";
import { ME, summary } from "../../db/test-fixtures.js";
import { sameRowProps } from "./same-row.js";

const t = (key: string) => key;
const onMenu = () => {};
const remarks = new Map<string, string>();
const row = (over: Record<string, unknown> = {}) => ({
  summary: summary("c1"),
  at: 1000,
  preview: { who: null, text: "hello" },
  selected: false,
  menuOpen: false,
  userId: ME,
  now: 60_000,
  onMenu,
  remarks,
  t,
  ...over,
});
// What Dexie hands the list on its next read: another object, the same content.
const reread = <T>(value: T): T => structuredClone(value);

describe("sameRowProps (the conversation list's row memo)", () => {
  it("keeps a row whose summary and preview were read again unchanged", () => {
    const a = row();
    expect(sameRowProps(a, row({ summary: reread(a.summary), preview: reread(a.preview) }))).toBe(true);
  });

  it("draws a row again when anything it shows changed in its summary", () => {
    const a = row();
    const changed = [{ unread: 3 }, { pinned: true }, { muted: true }, { label: "Work" }, { remark: "Cathy" }, { markedUnread: true }];
    for (const over of changed) expect(sameRowProps(a, row({ summary: { ...reread(a.summary), ...over } })), JSON.stringify(over)).toBe(false);
    const renamed = reread(a.summary);
    renamed.members = renamed.members?.map((m) => ({ ...m, displayName: `${m.displayName} Jr` }));
    expect(sameRowProps(a, row({ summary: renamed }))).toBe(false);
  });

  it("draws a row again when its preview, time, selection or menu changed", () => {
    const a = row();
    expect(sameRowProps(a, row({ preview: { who: null, text: "hello!" } }))).toBe(false);
    expect(sameRowProps(a, row({ preview: { who: "Bob", text: "hello" } }))).toBe(false);
    expect(sameRowProps(a, row({ preview: { who: null, text: "hello", status: "sending" } }))).toBe(false);
    expect(sameRowProps(a, row({ at: 2000 }))).toBe(false);
    expect(sameRowProps(a, row({ now: 120_000 }))).toBe(false);
    expect(sameRowProps(a, row({ selected: true }))).toBe(false);
    expect(sameRowProps(a, row({ menuOpen: true }))).toBe(false);
  });

  it("draws every row again when my remarks or the language changed (names and words a summary does not carry)", () => {
    const a = row();
    expect(sameRowProps(a, row({ remarks: new Map([["u-peer", "Cathy"]]) }))).toBe(false);
    expect(sameRowProps(a, row({ t: (key: string) => `zh:${key}` }))).toBe(false);
  });

  it("compares a prop it does not know by identity", () => {
    const extra = { x: 1 };
    const a = row({ extra });
    expect(sameRowProps(a, row({ extra: { x: 1 } }))).toBe(false);
    expect(sameRowProps(a, row({ extra }))).toBe(true);
    expect(sameRowProps(a, row())).toBe(false);
  });
});
