import { describe, expect, it } from "vitest";
import { en } from "./locales/en/index.js";
import { zh } from "./locales/zh/index.js";

/**
 * The check that nothing is left untranslated (issue 17), beside the lint rule
 * that keeps literal text out of JSX (eslint.config.js): every English key has
 * a Chinese one and nothing more, with the same {{variables}}, and the Chinese
 * is Chinese, not English copied across.
 */
type Tree = { readonly [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === "string") out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

const PLURAL = /_(zero|one|two|few|many|other)$/;
const base = (key: string) => key.replace(PLURAL, "");
const variables = (text: string) => [...text.matchAll(/\{\{\s*(\w+)[^}]*\}\}/g)].map((m) => m[1]).sort();

/** Names that are the same in every language: a Chinese string may consist of these alone. */
const NAMES = ["Courier", "English", "WebSocket", "SSE", "Server-Sent Events", "HTTP", "JPEG", "PNG", "WebP", "GIF"];
const CJK = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]/u;

function untranslated(text: string): boolean {
  if (CJK.test(text)) return false;
  let rest = text.replace(/\{\{[^}]*\}\}/g, "");
  for (const name of NAMES) rest = rest.split(name).join("");
  return /[A-Za-z]/.test(rest);
}

const english = flatten(en as Tree);
const chinese = flatten(zh as Tree);

describe("the Chinese catalog", () => {
  it("has every English string, and plural forms as Chinese counts them (one form: _other)", () => {
    const missing: string[] = [];
    for (const key of english.keys()) {
      const wanted = PLURAL.test(key) ? `${base(key)}_other` : key;
      if (!chinese.has(wanted)) missing.push(wanted);
    }
    expect([...new Set(missing)]).toEqual([]);
  });

  it("has nothing English does not", () => {
    const extra = [...chinese.keys()].filter((key) => (PLURAL.test(key) ? ![...english.keys()].some((k) => base(k) === base(key)) : !english.has(key)));
    expect(extra).toEqual([]);
  });

  it("uses the same {{variables}} as the English it translates", () => {
    const differ: string[] = [];
    for (const [key, text] of chinese) {
      const source = english.get(key) ?? english.get(`${base(key)}_other`);
      if (source !== undefined && variables(source).join() !== variables(text).join()) differ.push(key);
    }
    expect(differ).toEqual([]);
  });

  it("is written in Chinese (no English left in it)", () => {
    expect([...chinese].filter(([, text]) => untranslated(text)).map(([key]) => key)).toEqual([]);
  });

  it("is not empty: the catalog test would pass on nothing", () => {
    expect(english.size).toBeGreaterThan(40);
  });
});
