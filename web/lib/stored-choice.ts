/**
 * A per-browser choice kept in localStorage (the theme, the language): one of
 * `values`, or the default when nothing (or something unknown) is stored.
 * The default is never written: removing the key is choosing it.
 */
export function readChoice<T extends string>(key: string, values: readonly T[], fallback: T): T {
  try {
    const value = globalThis.localStorage?.getItem(key);
    return values.find((v) => v === value) ?? fallback;
  } catch {
    // Storage blocked (a privacy setting): the default.
    return fallback;
  }
}

export function writeChoice<T extends string>(key: string, value: T, fallback: T): void {
  try {
    if (value === fallback) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Storage blocked: the choice holds for this page only.
  }
}
