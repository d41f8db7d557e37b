/*
 * Predictable patterns in a password, measured on its characters (code
 * points) once it is trimmed, put in compatibility form (NFKC: "ｃｏｕｒｉｅｒ"
 * is "courier") and lower-cased. The common-password list (server only)
 * holds words people pick; these catch the shapes it leaves out: one
 * character many times, a piece repeated, a run along the alphabet or a
 * keyboard row. Used by passwordProblem (auth.ts), on the server and in the
 * sign-up form alike.
 */

/** The password as the patterns see it: trimmed, NFKC, lower case, one entry per code point. */
export function comparableCharacters(password: string): string[] {
  return [...password.trim().normalize("NFKC").toLowerCase()];
}

/** How many different characters there are. */
export function distinctCount(chars: readonly string[]): number {
  return new Set(chars).size;
}

/**
 * How many characters are copies of the piece just before them: at each
 * place the piece (of any length) whose back-to-back repeats cover the most
 * is taken, so "abcabcabc" has 6 repeated characters, "abc123abc123" 6,
 * "xkcdxkcdxkcd!" 8, "correct horse" 1 (the second r).
 */
export function repeatedCount(chars: readonly string[]): number {
  const n = chars.length;
  let repeated = 0;
  let i = 0;
  while (i < n) {
    let best = 0;
    let end = i + 1;
    for (let unit = 1; i + 2 * unit <= n; unit++) {
      let k = i + unit;
      while (k < n && chars[k] === chars[k - unit]) k++;
      // Whole copies only: "abca" repeats nothing.
      const copies = Math.floor((k - i) / unit) - 1;
      if (copies * unit > best) {
        best = copies * unit;
        end = i + (copies + 1) * unit;
      }
    }
    repeated += best;
    i = end;
  }
  return repeated;
}

/**
 * Lines that people type along, forwards or backwards: the alphabet, the
 * digits, and the letter and digit rows of QWERTY, QWERTZ and AZERTY
 * keyboards.
 */
const LINES = [
  "abcdefghijklmnopqrstuvwxyz",
  "0123456789",
  "`1234567890-=",
  "qwertyuiop[]\\",
  "asdfghjkl;'",
  "zxcvbnm,./",
  "qwertzuiopü",
  "yxcvbnm",
  "azertyuiop",
  "qsdfghjklm",
  "wxcvbn",
].map((line) => [...line]);

/** A run is at least this many characters, each the next (or previous) one along a line. */
const RUN_MIN = 3;

/** How many characters are in runs along a line: "1234567890", "abcdefghij" and "qwertyuiop" are all runs. */
export function runCount(chars: readonly string[]): number {
  const inRun = new Array<boolean>(chars.length).fill(false);
  for (const line of LINES) {
    const at = chars.map((c) => line.indexOf(c));
    for (const step of [1, -1]) {
      let start = 0;
      for (let i = 1; i <= chars.length; i++) {
        const continues = i < chars.length && at[i - 1]! >= 0 && at[i]! >= 0 && at[i]! - at[i - 1]! === step;
        if (continues) continue;
        if (i - start >= RUN_MIN) inRun.fill(true, start, i);
        start = i;
      }
    }
  }
  return inRun.filter(Boolean).length;
}

/** True when `part` (at least 3 characters) appears in the password forwards or backwards. */
export function containsEitherWay(chars: readonly string[], part: string): boolean {
  const forwards = comparableCharacters(part);
  if (forwards.length < 3) return false;
  const text = chars.join("");
  return text.includes(forwards.join("")) || text.includes([...forwards].reverse().join(""));
}
