import { describe, expect, it } from "vitest";
import { passwordProblem, registerRequestSchema } from "./auth.js";
import { codePointLength, humanText, textProblem } from "./common.js";
import { createConversationSchema, settingsPatchSchema } from "./conversations.js";
import { createItemSchema } from "./items.js";
import { sendRequestSchema } from "./messages.js";
import { TRICKY_TEXTS } from "./text-samples.js";
import { parseInput } from "./validate.js";

const ID = "7d7f5c1e-4a43-4c5e-9d1e-2f6d1c1a9b10";
const send = (body: string) => ({
  clientMsgId: ID,
  conversationId: "c",
  kind: "text",
  body,
});
const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected a bad_request");
};

describe("the text rule", () => {
  it.each(Object.entries(TRICKY_TEXTS))("accepts %s unchanged", (_, text) => {
    expect(textProblem(text)).toBeNull();
    expect(parseInput(sendRequestSchema, send(text)).body).toBe(text);
  });

  it.each([
    ["a lone high surrogate", "\uD800", /^Body is not valid Unicode/],
    ["a lone low surrogate after text", "ok\uDC00", /^Body is not valid Unicode/],
    ["surrogates in the wrong order", "\uDE00\uD83D", /^Body is not valid Unicode/],
    ["NULs", "\u0000\u0000\u0000", /^Body contains a control character \(U\+0000\)/],
    ["an escape sequence", "hi \u001B[31mred", /^Body contains a control character \(U\+001B\)/],
    ["a carriage return", "line\r\n", /\(U\+000D\)/],
    ["DEL", "x\u007F", /\(U\+007F\)/],
    ["a C1 control", "x\u0085", /\(U\+0085\)/],
    ["zero-width spaces only", "\u200B\u200B\u200B", /^Body is empty: it has only spaces or invisible characters\.$/],
    ["joiners, word joiner, BOM", "\u200C\u200D\u2060\uFEFF", /^Body is empty/],
    ["variation selectors and a soft hyphen", "\uFE0F\u00AD\u{E0100}", /^Body is empty/],
    ["Hangul fillers", "\u3164\u115F", /^Body is empty/],
    ["spaces and newlines", " \n\t\u3000\u2028", /^Body is empty/],
    ["braille blanks", "\u2800\u2800", /^Body is empty: it has only spaces or invisible characters\.$/],
    ["every Hangul filler and a null notehead", "\u3164\u115F\u1160\uFFA0\u{1D159}", /^Body is empty: it has only spaces or invisible characters\.$/],
    ["a lone combining mark", "\u0301", /^Body is empty: it has only combining marks/],
    ["combining marks on blanks", " \u0301\u2800\u0308\u200B\u20DD", /^Body is empty: it has only combining marks/],
    ["nothing", "", /^Body is required\.$/],
  ])("refuses %s, naming the field", (_, text, expected) => {
    expect(refusal(() => parseInput(sendRequestSchema, send(text), "message"))).toMatch(expected);
  });

  it("measures the body limit in UTF-16 units, as it always did", () => {
    expect(refusal(() => parseInput(sendRequestSchema, send("x".repeat(4001))))).toBe("Body can be at most 4000 characters.");
  });

  it("holds for every human text field: titles, descriptions, names, remarks, labels", () => {
    expect(refusal(() => parseInput(createItemSchema, { title: "\u0000", priceCents: 1 }))).toMatch(/^Title contains a control character/);
    expect(
      refusal(() =>
        parseInput(createItemSchema, {
          title: "Bike",
          priceCents: 1,
          description: "\u200B",
        }),
      ),
    ).toMatch(/^Description is empty/);
    expect(
      parseInput(createItemSchema, {
        title: "  Bike  ",
        priceCents: 1,
        description: "",
      }),
    ).toEqual({ title: "Bike", priceCents: 1, description: "" });
    expect(
      refusal(() =>
        parseInput(createConversationSchema, {
          type: "group",
          title: "\u2060\u2060",
          memberIds: ["u"],
        }),
      ),
    ).toMatch(/^Title is empty/);
    expect(
      refusal(() =>
        parseInput(registerRequestSchema, {
          username: "okname",
          password: "a good long one",
          displayName: "\uD83D",
        }),
      ),
    ).toMatch(/^Display name is not valid Unicode/);
    expect(refusal(() => parseInput(settingsPatchSchema, { remark: "\u200B" }))).toMatch(/^Remark is empty/);
    expect(refusal(() => parseInput(settingsPatchSchema, { label: "a\u0007" }))).toMatch(/^Label contains a control character/);
    // "" clears a remark or label.
    expect(parseInput(settingsPatchSchema, { remark: "", label: "" })).toEqual({
      remark: "",
      label: "",
    });
  });

  it("refuses bidi controls in names and titles, naming the field, and keeps them in message bodies", () => {
    const spoof = "\u202Eadmin";
    expect(refusal(() => parseInput(registerRequestSchema, { username: "okname", password: "a good long one", displayName: spoof }))).toBe(
      "Display name contains a text-direction control (U+202E), which can make it read as something else; names and titles can't have them.",
    );
    expect(refusal(() => parseInput(createConversationSchema, { type: "group", title: "team \u2066x\u2069", memberIds: ["u"] }))).toMatch(/^Title contains a text-direction control \(U\+2066\)/);
    expect(refusal(() => parseInput(createItemSchema, { title: "\u202Abike", priceCents: 1 }))).toMatch(/^Title contains a text-direction control \(U\+202A\)/);
    expect(refusal(() => parseInput(settingsPatchSchema, { remark: "boss\u202D" }))).toMatch(/^Remark contains a text-direction control \(U\+202D\)/);
    expect(refusal(() => parseInput(settingsPatchSchema, { label: "\u2067x" }))).toMatch(/^Label contains a text-direction control \(U\+2067\)/);
    for (const control of ["\u202B", "\u202C", "\u2068"]) expect(textProblem(`name${control}`, "name")).toMatch(/text-direction control/);
    // Right-to-left names without controls are names like any other.
    expect(parseInput(createConversationSchema, { type: "group", title: "שלום עולם", memberIds: ["u"] })).toMatchObject({ title: "שלום עולם" });
    // A body may embed and isolate (quoting RTL inside LTR); an item's description is text, not a name.
    expect(parseInput(sendRequestSchema, send(`he said ${spoof} \u2067שלום\u2069`)).body).toBe(`he said ${spoof} \u2067שלום\u2069`);
    expect(parseInput(createItemSchema, { title: "Bike", priceCents: 1, description: "\u202Bשלום\u202C" }).description).toBe("\u202Bשלום\u202C");
  });

  it("keeps the limits of each field", () => {
    const short = humanText(3);
    expect(short.safeParse("abc").success).toBe(true);
    expect(short.safeParse("abcd").success).toBe(false);
    expect(codePointLength("👨‍👩‍👧‍👦")).toBe(7);
  });
});

describe("the password rule", () => {
  it.each([
    ["12345678", /at least 10 characters/],
    ["   short    ", /at least 10 characters/],
    ["\u0000".repeat(10), /control characters/],
    ["\u200B".repeat(12), /only spaces or invisible/],
    [" ".repeat(12), /only spaces or invisible/],
    ["\u2800".repeat(10), /only spaces or invisible/],
    ["\u0301".repeat(10), /^A password can't be only accents or other combining marks\.$/],
    ["\uD800".repeat(12), /valid Unicode/],
    ["x".repeat(201), /at most 200/],
    ["aaaaaaaaaa", /^A password needs at least 5 different characters\.$/],
    ["1111111111", /at least 5 different characters/],
    ["0000000000", /at least 5 different characters/],
    ["aAaAbBbBaAaA", /at least 5 different characters/],
    ["abcabcabcabc", /at least 5 different characters/],
    ["abc123abc123", /^A password can't be mostly a piece repeated \(like abcabc or 1212\)\.$/],
    ["xkcdxkcdxkcd!", /mostly a piece repeated/],
    ["Hunter2Hunter2", /mostly a piece repeated/],
    ["1234567890", /^A password can't be mostly letters, digits or keys in a row \(like 12345, abcde or qwerty\)\.$/],
    ["0987654321", /keys in a row/],
    ["abcdefghij", /keys in a row/],
    ["ZYXWVUTSRQ", /keys in a row/],
    ["qwertyuiop", /keys in a row/],
    ["asdfghjkl;'", /keys in a row/],
    ["1234567890!", /keys in a row/],
    ["hello12345", /keys in a row/],
    ["qwertzuiop", /keys in a row/],
    ["azertyuiop", /keys in a row/],
    ["courier123", /^A password can't contain the site's name, Courier\.$/],
    ["My Courier password", /site's name/],
    ["ｃｏｕｒｉｅｒ　ｒｏｃｋｓ", /site's name/],
  ])("refuses %j, naming the rule", (password, expected) => {
    expect(passwordProblem(password)).toMatch(expected);
  });

  it.each([
    "correct horse",
    "correct horse battery",
    "correct horse battery staple",
    "purple monkey dishwasher",
    "Tr0ub4dor&3x",
    "kX9#mQ2$vL8@pN4&",
    "w7Gq2LzR8vYc0NbT4kXs",
    "a long phrase, mine",
    "le café où j'étais",
    "日本語のパスワードです",
    "Ünïcödé passphrase",
  ])("accepts %j", (password) => {
    expect(passwordProblem(password, "alice_smith")).toBeNull();
  });

  it("counts characters, not UTF-16 units, and allows spaces inside", () => {
    expect(passwordProblem("😀🎉🐱🚀🌵😀🎉🐱🚀".slice(0, -2))).toMatch(/at least 10/);
    expect(passwordProblem("😀🎉🐱🚀🌵🍕🎸📚🧩🌈")).toBeNull();
    expect(passwordProblem("😀".repeat(10))).toMatch(/at least 5 different/);
    // 200 different pictographs, none next to its neighbour in code point order.
    const pictographs = (n: number) => String.fromCodePoint(...Array.from({ length: n }, (_, i) => 0x1f300 + ((i * 37) % 700)));
    expect(pictographs(200).length).toBe(400);
    expect(passwordProblem(pictographs(200))).toBeNull();
    expect(passwordProblem(pictographs(201))).toMatch(/at most 200/);
    expect(passwordProblem("correct horse")).toBeNull();
  });

  it("refuses the username, whatever the case or surrounding spaces", () => {
    expect(passwordProblem(" Alice_Smith ", "alice_smith")).toBe("A password can't be the same as the username.");
    expect(
      refusal(() =>
        parseInput(registerRequestSchema, {
          username: "alice_smith",
          password: "ALICE_SMITH",
        }),
      ),
    ).toBe("A password can't be the same as the username.");
  });

  it("refuses a password holding the username or the username backwards, from 3 characters", () => {
    const inside = "A password can't contain the username, forwards or backwards.";
    expect(passwordProblem("alice_smith!", "alice_smith")).toBe(inside);
    expect(passwordProblem("alice_smith1", "alice_smith")).toBe(inside);
    expect(passwordProblem("htims_ecila", "alice_smith")).toBe(inside);
    expect(passwordProblem("my pet is called ALICE_SMITH", "alice_smith")).toBe(inside);
    expect(passwordProblem("the bob tail jump", "bob")).toBe(inside);
    expect(passwordProblem("a good long one", "eno")).toBe(inside);
    expect(refusal(() => parseInput(registerRequestSchema, { username: "dave_smith", password: "htims_evad 2024" }))).toBe(inside);
    expect(passwordProblem("a good long one", "bob")).toBeNull();
  });
});
