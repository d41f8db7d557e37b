import { locale as currentLocale, t } from "../i18n/index.js";

// NOTE: the protocol carries prices as integer cents without a currency;
// one currency per deployment is assumed until it says otherwise.
export const CURRENCY = "USD";

/** The server's limit (shared/protocol/items.ts, createItemSchema): 100 000 000.00. */
export const PRICE_MAX_CENTS = 100_000_000_00;

/** "$12.50" (en-US), "US$12.50" (zh-CN); 0 is "Free". */
export function formatPrice(cents: number, locale = currentLocale()): string {
  if (cents === 0) return t("money.free");
  return new Intl.NumberFormat(locale, { style: "currency", currency: CURRENCY }).format(cents / 100);
}

/**
 * "12.50", "12,5", "12", "$ 1,200.00", "free", "免费" → cents. Null when it is not a price.
 * A comma followed by exactly 1–2 digits at the end is read as the decimal mark.
 */
export function parsePrice(text: string): number | null {
  let s = text.trim().replace(/^[$€£¥]\s*/, "").replace(/\s*(usd|us\$)$/i, "").replace(/\s+/g, "");
  if (/^(free|免费)$/i.test(s)) return 0;
  if (/,\d{1,2}$/.test(s) && !s.includes(".")) s = s.replace(",", ".");
  s = s.replace(/,(?=\d{3}(\D|$))/g, "");
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return null;
  const [whole = "0", fraction = ""] = s.split(".");
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
  return Number.isSafeInteger(cents) ? cents : null;
}

export type PriceCheck = { ok: true; cents: number } | { ok: false; message: string };

/** What the sell form says about a typed price, before the server is asked. */
export function checkPrice(text: string, locale = currentLocale()): PriceCheck {
  const trimmed = text.trim();
  if (!trimmed) return { ok: false, message: t("money.enterPrice") };
  if (/^-/.test(trimmed.replace(/^[$€£¥]\s*/, ""))) return { ok: false, message: t("money.negative") };
  // Digits only, too many for a safe integer: still "too high", not "not a price".
  const digits = trimmed.replace(/^[$€£¥]\s*/, "").replace(/[\s,]/g, "");
  const cents = parsePrice(text);
  if (cents === null) {
    if (/^\d+(\.\d{1,2})?$/.test(digits)) return { ok: false, message: tooHigh(locale) };
    return { ok: false, message: t("money.notAPrice") };
  }
  if (cents > PRICE_MAX_CENTS) return { ok: false, message: tooHigh(locale) };
  return { ok: true, cents };
}

function tooHigh(locale: string): string {
  return t("money.tooHigh", { max: formatPrice(PRICE_MAX_CENTS, locale) });
}
