/**
 * Test data, kept beside the text rule (common.ts): text a person may well
 * send, which must be accepted and then stored, synced and shown unchanged.
 * Imported by tests only.
 */
export const TRICKY_TEXTS: Readonly<Record<string, string>> = {
  "family emoji (ZWJ sequence)": "👨‍👩‍👧‍👦",
  "flag and skin tone": "🇩🇪 👋🏽",
  "keycap and variation selector": "1️⃣ ❤️",
  "combining marks (decomposed)": "e\u0301le\u0300ve Z\u0351\u0362a\u0324l\u0353g\u0330o",
  CJK: "你好，这个还在吗？ 日本語 한국어",
  "RTL with embedding marks": "\u202Bשלום\u202C مرحبا بك",
  "astral plane": "𝕳𝖊𝖑𝖑𝖔 𓀀 𠜎",
  "trailing newline": "two lines\nand one more\n",
  "tabs and inner blanks": "\tindented  twice\u00A0spaced",
  "joiners inside a word": "a\u200Db\u200Cc",
  "replacement character typed on purpose": "\uFFFD",
  "a noncharacter": "x\uFFFF",
  "exactly 4000 UTF-16 units, ending in an emoji": `${"x".repeat(3998)}😀`,
};
