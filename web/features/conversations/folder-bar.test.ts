import { describe, expect, it } from "vitest";
import { summary } from "../../db/test-fixtures.js";
import { sameFolderBar } from "./folder-bar.js";
import { ALL, type Folder } from "./folders.js";

const choose = (_folder: Folder) => {};
const list = () => [summary("a", { label: "Family" }), summary("b", { archived: true, unread: 2 }), summary("c", { unread: 1 })];
const bar = (summaries = list(), current: Folder = ALL, onChoose = choose) => ({ summaries, current, onChoose });

describe("sameFolderBar: when the folder bar is drawn again", () => {
  it("not for a message that changes the summaries but not the folders or Archived's count", () => {
    const after = list();
    after[2] = summary("c", { unread: 5, lastMessage: null });
    expect(sameFolderBar(bar(), bar(after))).toBe(true);
  });

  it("for a new label, a label gone, and Archived's count moving", () => {
    const labelled = list();
    labelled[2] = summary("c", { label: "Work" });
    expect(sameFolderBar(bar(), bar(labelled))).toBe(false);
    const unlabelled = list();
    unlabelled[0] = summary("a");
    expect(sameFolderBar(bar(), bar(unlabelled))).toBe(false);
    const archivedRead = list();
    archivedRead[1] = summary("b", { archived: true, unread: 0 });
    expect(sameFolderBar(bar(), bar(archivedRead))).toBe(false);
  });

  it("for another folder chosen, and a new way to choose one", () => {
    expect(sameFolderBar(bar(), bar(list(), { kind: "unread" }))).toBe(false);
    expect(sameFolderBar(bar(list(), { kind: "unread" }), bar(list(), { kind: "unread" }))).toBe(true);
    expect(sameFolderBar(bar(), bar(list(), ALL, () => {}))).toBe(false);
  });
});
