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
    ["\uD800".repeat(12), /valid Unicode/],
    ["x".repeat(201), /at most 200/],
  ])("refuses %j", (password, expected) => {
    expect(passwordProblem(password)).toMatch(expected);
  });

  it("counts characters, not UTF-16 units, and allows spaces inside", () => {
    expect(passwordProblem("😀".repeat(9))).toMatch(/at least 10/);
    expect(passwordProblem("😀".repeat(10))).toBeNull();
    expect(passwordProblem("😀".repeat(200))).toBeNull();
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
    expect(passwordProblem("alice_smith!", "alice_smith")).toBeNull();
  });
});
