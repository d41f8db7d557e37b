import { describe, expect, it } from "vitest";
import { highlight } from "./highlight.js";

const marks = (text: string, q: string, length?: number) =>
  highlight(text, q, length)
    .map((p) => (p.match ? `[${p.text}]` : p.text))
    .join("");

describe("highlight", () => {
  it("marks every match", () => {
    expect(marks("你好，这个还在吗？还在", "还在")).toBe("你好，这个[还在]吗？[还在]");
  });

  it("marks what the person sees for a normalised match", () => {
    expect(marks("Say ＨＥＬＬＯ to Hello", "hello")).toBe("Say [ＨＥＬＬＯ] to [Hello]");
  });

  it("keeps emoji whole", () => {
    expect(marks("ok 👍🏽 fine", "👍🏽")).toBe("ok [👍🏽] fine");
  });

  it("cuts a long text around its first match", () => {
    const text = `${"a".repeat(100)} needle ${"b".repeat(100)}`;
    const out = marks(text, "needle", 40);
    expect(out.startsWith("…")).toBe(true);
    expect(out.endsWith("…")).toBe(true);
    expect(out).toContain("[needle]");
  });

  it("shows the text unmarked when nothing matches", () => {
    expect(highlight("plain", "zzz")).toEqual([{ text: "plain", match: false }]);
  });
});
