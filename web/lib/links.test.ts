import { describe, expect, it } from "vitest";
import { safeHref, splitLinks } from "./links.js";

const link = (text: string, href = text) => ({ type: "link", text, href });
const text = (t: string) => ({ type: "text", text: t });

describe("splitLinks", () => {
  it("leaves text without links alone", () => {
    expect(splitLinks("hello there")).toEqual([text("hello there")]);
    expect(splitLinks("")).toEqual([]);
  });

  it("finds http and https links among text", () => {
    expect(splitLinks("see https://example.com/a?b=1#c and http://x.org/")).toEqual([
      text("see "),
      link("https://example.com/a?b=1#c"),
      text(" and "),
      link("http://x.org/"),
    ]);
  });

  it("leaves sentence punctuation out of the link", () => {
    expect(splitLinks("Look: https://example.com/page.")).toEqual([text("Look: "), link("https://example.com/page"), text(".")]);
    expect(splitLinks("(https://example.com/x)")).toEqual([text("("), link("https://example.com/x"), text(")")]);
    expect(splitLinks("“https://example.com”!")).toEqual([text("“"), link("https://example.com", "https://example.com/"), text("”!")]);
  });

  it("keeps a closing bracket that belongs to the URL", () => {
    expect(splitLinks("https://en.wikipedia.org/wiki/Bike_(disambiguation) ok")).toEqual([
      link("https://en.wikipedia.org/wiki/Bike_(disambiguation)"),
      text(" ok"),
    ]);
  });

  it("keeps newlines and spacing in the text runs", () => {
    expect(splitLinks("a\n  https://example.com/\n\nb")).toEqual([text("a\n  "), link("https://example.com/"), text("\n\nb")]);
  });

  it("never links other schemes or HTML", () => {
    expect(splitLinks("javascript:alert(1) data:text/html,<b>x</b> ftp://x.org")).toEqual([text("javascript:alert(1) data:text/html,<b>x</b> ftp://x.org")]);
    const parts = splitLinks('<a href="https://evil.example/">x</a>');
    expect(parts.filter((p) => p.type === "link").map((p) => p.text)).toEqual(["https://evil.example/"]);
    expect(parts.map((p) => p.text).join("")).toBe('<a href="https://evil.example/">x</a>');
  });

  it("does not link a bare scheme", () => {
    expect(splitLinks("https:// nothing")).toEqual([text("https:// nothing")]);
  });

  it("joins back to the original text", () => {
    const samples = ["go to https://a.b/c, then http://d.e/f).", "https://example.com/" + "a".repeat(300), "x https://ü.example/ä y"];
    for (const s of samples) expect(splitLinks(s).map((p) => p.text).join("")).toBe(s);
  });
});

describe("safeHref", () => {
  it("accepts http(s) only", () => {
    expect(safeHref("https://example.com")).toBe("https://example.com/");
    expect(safeHref("HTTP://Example.com/A")).toBe("http://example.com/A");
    expect(safeHref("javascript:alert(1)")).toBeNull();
    expect(safeHref("not a url")).toBeNull();
  });
});
