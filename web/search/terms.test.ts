import { describe, expect, it } from "vitest";
import { queryTerms, terms } from "./terms.js";

describe("terms", () => {
  it("gives every two-character bigram and the last character alone (the one that starts no bigram)", () => {
    expect(terms("还在吗").sort()).toEqual(["吗", "还在", "在吗"].sort());
  });

  it("indexes a one-character Chinese message by that character", () => {
    expect(terms("好")).toEqual(["好"]);
  });

  it("gives Latin words whole, lower-cased, without punctuation", () => {
    expect(terms("Hello, World! Don't stop.").sort()).toEqual(["don't", "hello", "stop", "world"]);
  });

  it("splits mixed text into CJK runs and words", () => {
    expect(terms("iPhone充电器 ok").sort()).toEqual(["iphone", "器", "充电", "电器", "ok"].sort());
  });

  it("normalises with NFKC first: fullwidth letters are the ASCII word", () => {
    expect(terms("ＨＥＬＬＯ ｗｏｒｌｄ").sort()).toEqual(["hello", "world"]);
    expect(terms("ﾊﾛｰ")).toContain("ハロ");
  });

  it("gives Japanese Kana and Korean Hangul runs as CJK", () => {
    expect(terms("ありがとう")).toContain("りが");
    expect(terms("안녕하세요")).toEqual(expect.arrayContaining(["요", "안녕", "세요"]));
  });

  it("indexes emoji: the grapheme and each pictograph in it", () => {
    const family = "👨‍👩‍👧";
    expect(terms(`great 👍🏽 ${family}`)).toEqual(expect.arrayContaining(["great", "👍🏽", "👍", family, "👨", "👩", "👧"]));
  });

  it("lists each term once", () => {
    const all = terms("好好好 hello hello");
    expect(all.length).toBe(new Set(all).size);
    expect(all.sort()).toEqual(["hello", "好", "好好"].sort());
  });

  it("gives nothing for punctuation or spaces", () => {
    expect(terms(" ?!… ")).toEqual([]);
  });
});

describe("queryTerms", () => {
  it("looks up one Chinese character by prefix: its bigrams and itself alone", () => {
    expect(queryTerms("还")).toEqual([{ term: "还", prefix: true }]);
  });

  it("looks up the bigrams of a longer Chinese query", () => {
    expect(queryTerms("还在吗")).toEqual([
      { term: "还在", prefix: false },
      { term: "在吗", prefix: false },
    ]);
  });

  it("looks up Latin words and emoji by prefix, after NFKC and lower case", () => {
    expect(queryTerms("ＨＥＬ 👍")).toEqual([
      { term: "hel", prefix: true },
      { term: "👍", prefix: true },
    ]);
  });

  it("has nothing to look up for punctuation", () => {
    expect(queryTerms("?!")).toEqual([]);
  });
});
