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
    ["陈小明", "陈小"],
    ["x", "X"],
  ])("%j → %j", (name, expected) => expect(initials(name)).toBe(expected));

  it("shows a person's Chinese name by its given name, as Chinese apps do; never a group's title", () => {
    expect(initials("陈小明", { person: true })).toBe("小明");
    expect(initials("欧阳娜娜", { person: true })).toBe("娜娜");
    expect(initials("李雷", { person: true })).toBe("李雷");
    expect(initials("陈小明 Chen", { person: true })).toBe("陈C");
    // Five characters and more are no name (a nickname, a phrase): the first two, as for any word.
    expect(initials("中华人民共和国", { person: true })).toBe("中华");
    // A group's title keeps its first two: 家人群 is "家人", not "人群" ("crowd").
    expect(initials("家人群")).toBe("家人");
  });

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
