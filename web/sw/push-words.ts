/// <reference types="vite/client" />
/**
 * Words a notification in the language the page last used, from the
 * payload's `words` (shared/protocol/push.ts) and the `push` catalog. Pure and
 * small: the service worker imports it (and the two catalog files) without
 * i18next, so it fills `{{variables}}` and picks plural forms itself. A
 * `words` it cannot read gives null: the worker then shows the payload's own
 * (English) title and body.
 */
import type { PushWords, PushWordsKey } from "../../shared/protocol/push.js";
import type en from "../i18n/locales/en/push.js";
import type { Translation } from "../i18n/translation.js";

export type PushLanguage = "en" | "zh";
/** English has `_one` forms, Chinese `_other` only: plural() below takes either. */
type Catalog = Translation<typeof en>;

/**
 * The two catalog files, under their own module ids (`?sw`): imported
 * plainly, the build would put them in a chunk shared with the app, and
 * /sw.js, a classic script, cannot import it. So the worker gets its own copy.
 */
const files = import.meta.glob<Catalog>(["../i18n/locales/en/push.ts", "../i18n/locales/zh/push.ts"], { eager: true, query: "?sw", import: "default" });
function catalog(language: PushLanguage): Catalog {
  const file = files[`../i18n/locales/${language}/push.ts`];
  if (!file) throw new Error(`no push catalog for ${language}`);
  return file;
}
const CATALOGS: Record<PushLanguage, Catalog> = { en: catalog("en"), zh: catalog("zh") };
const LOCALES: Record<PushLanguage, string> = { en: "en-US", zh: "zh-CN" };

export function isPushLanguage(value: unknown): value is PushLanguage {
  return value === "en" || value === "zh";
}

/** The line shown for a push the worker cannot read. */
export function newActivity(language: PushLanguage): string {
  return CATALOGS[language].newActivity;
}

/** `{{name}}` → values.name; a missing variable leaves the text unusable (null). */
function fill(template: string, values: Record<string, string | number>): string | null {
  let missing = false;
  const text = template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) missing = true;
    return String(value ?? "");
  });
  return missing ? null : text;
}

/** English `_one` for a count of 1, `_other` otherwise; Chinese has `_other` only (Intl.PluralRules). */
function plural(forms: { hidden_one?: string; hidden_other: string }, count: number, language: PushLanguage): string {
  const form = new Intl.PluralRules(LOCALES[language]).select(count);
  return (form === "one" ? forms.hidden_one : undefined) ?? forms.hidden_other;
}

function price(cents: number, language: PushLanguage): string {
  return new Intl.NumberFormat(LOCALES[language], { style: "currency", currency: "USD" }).format(cents / 100);
}

const KEYS: Record<PushWordsKey, true> = { "chat.direct": true, "chat.group": true, order: true, offer: true, follow: true, recall: true, hide: true };
const ORDER_STATUSES = ["bought", "shipped", "received", "cancelled"] as const;
const OFFER_STEPS = ["offered", "countered", "accepted", "declined", "withdrawn"] as const;
/** Longest value taken (the server sends at most 300 code points of preview). */
const VALUE_MAX = 1000;

/** `words`, checked by hand (zod would make the worker a bundle of its own); null if it is not one. */
export function readWords(value: unknown): PushWords | null {
  if (typeof value !== "object" || value === null) return null;
  const { key, values } = value as Record<string, unknown>;
  if (typeof key !== "string" || !Object.hasOwn(KEYS, key)) return null;
  if (typeof values !== "object" || values === null || Array.isArray(values)) return null;
  const out: Record<string, string | number> = {};
  for (const [name, v] of Object.entries(values)) {
    if (typeof v === "string") out[name] = v.slice(0, VALUE_MAX);
    else if (typeof v === "number" && Number.isFinite(v)) out[name] = v;
    else return null;
  }
  return { key: key as PushWordsKey, values: out };
}

const str = (v: string | number | undefined): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: string | number | undefined): number | undefined => (typeof v === "number" ? v : undefined);

/** The notification's title and body from `words`, in `language`; null when `words` is missing or not readable. */
export function wordPush(words: unknown, language: PushLanguage): { title: string; body: string } | null {
  const read = readWords(words);
  if (!read) return null;
  const c = CATALOGS[language];
  const v = read.values;
  const count = Math.max(1, Math.floor(num(v.count) ?? 1));
  const many = count > 1;
  const hidden = v.hidden === 1;
  const name = str(v.name);
  const pair = (title: string | null, body: string | null) => (title !== null && body !== null ? { title, body } : null);

  /** What a chat notification previews: the text, or "[Photo]" and its caption. */
  const preview = (): string | null => {
    const text = str(v.preview);
    if (v.photo === 1) return text?.trim() ? fill(c.photoCaption, { caption: text }) : c.photo;
    return text ?? null;
  };

  switch (read.key) {
    case "chat.direct": {
      if (name === undefined) return null;
      const title = fill(many ? c.chat.direct.titleMany : c.chat.direct.title, { name, count });
      return pair(title, hidden ? plural(c.chat, count, language) : preview());
    }
    case "chat.group": {
      const group = (str(v.group) ?? "").trim();
      const g = c.chat.group;
      const title = group ? fill(many ? g.titleMany : g.title, { group, count }) : fill(many ? g.titleManyUntitled : g.titleUntitled, { count });
      if (hidden) return pair(title, plural(c.chat, count, language));
      const text = preview();
      if (name === undefined || text === null) return null;
      return pair(title, fill(g.body, { name, preview: text }));
    }
    case "order":
    case "offer": {
      const t = read.key === "order" ? c.order : c.offer;
      if (hidden) return { title: t.titleHidden, body: t.bodyHidden };
      const item = str(v.item);
      const title = item === undefined ? t.titleNoItem : fill(t.title, { item });
      if (name === undefined) return null;
      if (read.key === "order") {
        const status = ORDER_STATUSES.find((s) => s === v.status);
        return status ? pair(title, fill(c.order[status], { name })) : null;
      }
      const step = OFFER_STEPS.find((s) => s === v.step);
      const cents = num(v.priceCents);
      if (!step || cents === undefined) return null;
      return pair(title, fill(c.offer[step], { name, price: price(cents, language) }));
    }
    case "follow": {
      const username = str(v.username);
      if (name === undefined || username === undefined) return null;
      const f = c.follow;
      return pair(fill(many ? f.titleMany : f.title, { name, count }), fill(many ? f.bodyMany : f.body, { name, username }));
    }
    case "recall": {
      if (name === undefined) return null;
      const group = str(v.group);
      const title = group === undefined ? name : group.trim() || c.recall.yourGroup;
      return pair(title, fill(c.recall.body, { name }));
    }
    case "hide":
      return { title: "Courier", body: c.hide.body };
  }
}
