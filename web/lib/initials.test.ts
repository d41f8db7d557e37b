import { describe, expect, it } from "vitest";
import { graphemes, initials } from "./initials.js";

describe("initials", () => {
  it.each([
    ["Ada Lovelace", "AL"],
    ["alice", "AL"],
    ["Bob 🚲", "BO"],
    ["🚲 Bob", "BO"],
    ["Weekend ride 🚴", "WR"],
    ["Bob 🚲 Builder", "BB"],
    ["carol_99", "CA"],
    ["  Dave   Doe  ", "DD"],
    ["(Erin) [E]", "EE"],
    ["Émile Zola", "ÉZ"],
    ["e\u0301mile", "ÉM"],
    ["Łukasz", "ŁU"],
    ["李 小龙", "李小"],
    ["陈小明", "小明"],
    ["李雷", "李雷"],
    ["欧阳娜娜", "娜娜"],
    ["陈小明 Chen", "陈C"],
    ["x", "X"],
  ])("%j → %j", (name, expected) => expect(initials(name)).toBe(expected));

  it("never splits an emoji: a name of emoji only shows the first whole one", () => {
    expect(initials("🚲🚴")).toBe("🚲");
    expect(initials("👍🏽 🙂")).toBe("👍🏽");
  });

  it("falls back to ? for an empty name", () => {
    expect(initials("")).toBe("?");
    expect(initials("   ")).toBe("?");
  });

  it("never returns a lone surrogate", () => {
    for (const name of ["Bob 🚲", "🚲", "a🚲", "𝒜𝒷 c"]) {
      expect(initials(name)).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
  });
});

describe("graphemes", () => {
  it("keeps emoji sequences and combining marks whole", () => {
    expect(graphemes("a👍🏽e\u0301")).toEqual(["a", "👍🏽", "e\u0301"]);
  });

  it("splits plain ASCII into its characters, as the segmenter would", () => {
    expect(graphemes("Ada L. ~99")).toEqual(["A", "d", "a", " ", "L", ".", " ", "~", "9", "9"]);
    expect(graphemes("")).toEqual([]);
    expect(graphemes("a\r\nb")).toEqual(["a", "\r\n", "b"]); // CR LF is one grapheme: not taken for plain ASCII
  });
});
