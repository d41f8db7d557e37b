// NOTE: the protocol carries prices as integer cents without a currency;
// one currency per deployment is assumed until it says otherwise.
const CURRENCY = "USD";

export function formatPrice(cents: number, locale?: string): string {
  return new Intl.NumberFormat(locale, { style: "currency", currency: CURRENCY }).format(cents / 100);
}

/**
 * "12.50", "12,5", "12", "$ 1,200.00" → cents. Null when it is not a price.
 * A comma followed by exactly 1–2 digits at the end is read as the decimal mark.
 */
export function parsePrice(text: string): number | null {
  let s = text.trim().replace(/^[$€£¥]\s*/, "").replace(/\s+/g, "");
  if (/,\d{1,2}$/.test(s) && !s.includes(".")) s = s.replace(",", ".");
  s = s.replace(/,(?=\d{3}(\D|$))/g, "");
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return null;
  const [whole = "0", fraction = ""] = s.split(".");
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
  return Number.isSafeInteger(cents) ? cents : null;
}
