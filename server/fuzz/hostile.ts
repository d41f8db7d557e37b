import fc from "fast-check";
import * as protocol from "../../shared/protocol/index.js";

/**
 * What an attacker sends, as fast-check arbitraries: strings with lone
 * surrogates, NULs and invisible characters, numbers JSON can write but
 * JavaScript cannot hold, prototype-pollution keys, deep and huge JSON, bytes
 * that are not UTF-8. Field names and literal values come from the protocol's
 * own zod schemas, so the fuzzer gets past "unknown field" to the checks
 * behind it, and a field added to the protocol is fuzzed at once.
 */

interface ZodLike {
  _zod?: { def: Record<string, unknown> };
}

/** Every object key and literal/enum value found in the exported protocol schemas. */
function vocabulary(): { keys: string[]; literals: string[] } {
  const keys = new Set<string>();
  const literals = new Set<string>();
  const seen = new Set<unknown>();
  const visit = (schema: unknown): void => {
    const def = (schema as ZodLike | null)?._zod?.def;
    if (!def || seen.has(schema)) return;
    seen.add(schema);
    if (def.type === "object") {
      for (const [key, child] of Object.entries(def.shape as Record<string, unknown>)) {
        keys.add(key);
        visit(child);
      }
    }
    if (def.type === "literal") for (const v of def.values as unknown[]) literals.add(String(v));
    if (def.type === "enum") for (const v of Object.values(def.entries as Record<string, unknown>)) literals.add(String(v));
    for (const field of ["innerType", "element", "in", "out", "left", "right", "valueType", "keyType"]) visit(def[field]);
    for (const option of (def.options as unknown[] | undefined) ?? []) visit(option);
  };
  for (const value of Object.values(protocol)) visit(value);
  return { keys: [...keys].sort(), literals: [...literals].sort() };
}

export const VOCABULARY = vocabulary();

/** Keys that poison prototypes or confuse code that treats objects as maps. */
const POISON_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"];

const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000",
  "\ud800",
  "a\udfffb",
  "\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b",
  "\ufeff",
  "\u202egnp.exe",
  "\r\nX-Injected: 1",
  "-1",
  "-0",
  "0x10",
  "1.5",
  "1e309",
  "NaN",
  "Infinity",
  "9007199254740993",
  "null",
  "undefined",
  "true",
  "[]",
  "{}",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "'; DROP TABLE users; --",
  "chat:1,chat:2",
  "chat:-1",
  "chat:1e9",
  "%",
  "🙂".repeat(50),
  "x".repeat(5000),
  ...POISON_KEYS,
];

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.nat(0xffff).map((c) => String.fromCharCode(c));

/** Strings that are valid UUIDs, known ids (own and other users'), vocabulary, or hostile. */
export function hostileString(ids: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
    { weight: 3, arbitrary: fc.constantFrom(...ids) },
    { weight: 2, arbitrary: fc.constantFrom(...VOCABULARY.literals) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: fc.string({ unit: codeUnit, maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  );
}

/** Number texts JSON allows but JavaScript cannot keep exact, and plain ones. */
const numberText = fc.oneof(
  fc.constantFrom("0", "-0", "1", "-1", "1.5", "1e308", "1e309", "-1e309", "9007199254740993", "123456789012345678901234567890", "0.0000001", "2147483648", "4294967296"),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
);

const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...VOCABULARY.keys) },
  { weight: 2, arbitrary: fc.constantFrom(...POISON_KEYS) },
  { weight: 1, arbitrary: fc.string({ unit: codeUnit, maxLength: 10 }) },
);

/** JSON text (so that `__proto__` is an own key and 1e309 reaches the parser as written). */
export function hostileJson(ids: readonly string[]): fc.Arbitrary<string> {
  const { value } = fc.letrec<{ value: string; object: string; array: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constantFrom("null", "true", "false"),
      numberText,
      hostileString(ids).map((s) => JSON.stringify(s)),
      tie("object"),
      tie("array"),
    ),
    object: fc
      .array(fc.tuple(key, tie("value")), { maxLength: 6 })
      .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`),
    array: fc.array(tie("value"), { maxLength: 5 }).map((items) => `[${items.join(",")}]`),
  }));
  return value;
}

const deep = (n: number, open: string, close: string) => open.repeat(n) + close.repeat(n);

/** Bodies no well-behaved client sends: deep, huge, broken, not UTF-8. */
export const MONSTER_BODIES: readonly (string | Buffer)[] = [
  deep(10_000, "[", "]"),
  `${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}`,
  JSON.stringify({ body: "x".repeat(70 * 1024) }),
  JSON.stringify(Array.from({ length: 5000 }, (_, i) => i)),
  "{nope",
  '{"a":1,}',
  "\u0000",
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.concat([Buffer.from('{"body":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('","title":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
  Buffer.from('{"body":"\\ud800"}'),
];

/** A body: generated JSON (mostly), or one of the monsters. */
export function hostileBody(ids: readonly string[]): fc.Arbitrary<string | Buffer | undefined> {
  return fc.oneof(
    { weight: 8, arbitrary: hostileJson(ids) },
    { weight: 2, arbitrary: fc.constantFrom(...MONSTER_BODIES) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/**
 * Percent-encodes `text` for a URL, lone surrogates included (as the bytes of
 * a UTF-8 surrogate, which no decoder should accept).
 */
export function pct(text: string): string {
  let out = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (/[A-Za-z0-9\-_.~]/.test(ch)) out += ch;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += `%${(0xe0 | (cp >> 12)).toString(16)}%${(0x80 | ((cp >> 6) & 0x3f)).toString(16)}%${(0x80 | (cp & 0x3f)).toString(16)}`;
    else out += [...Buffer.from(ch, "utf8")].map((b) => `%${b.toString(16).padStart(2, "0").toUpperCase()}`).join("");
  }
  return out;
}

/** Raw URL pieces that are not valid percent-encoding or not valid UTF-8. */
export const BROKEN_URL_PARTS = ["%", "%ZZ", "%E0%A4%A", "%FF", "%C0%AF", "%ED%A0%80", "%00", "..", "%2F..%2F", "a%20b", "%2525"];

/** A path or query value: encoded hostile text, or a broken raw piece. */
export function urlValue(ids: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof({ weight: 6, arbitrary: hostileString(ids).map(pct) }, { weight: 1, arbitrary: fc.constantFrom(...BROKEN_URL_PARTS) });
}
