/**
 * Contact details and payment links in a message's text (issue 14, "Safety"):
 * what makes the recipient's app show a calm note under the message, because
 * a sale taken off Courier (another app, a bank transfer) is where most
 * marketplace scams happen. One function for every client, written for the
 * languages people sell in: English and Chinese forms are tested both ways
 * (shared/safety/contact-details.test.ts).
 *
 * It errs on the quiet side: a price ("£1,200", "¥3800", "1200.00"), a date
 * ("2024-05-12", "12/05/2024"), a year or a range of years, an order number
 * of 4–5 digits, a time or a size is not a phone number.
 */

export type ContactKind = "phone" | "email" | "offsite";

/** The note the recipient sees under such a message from someone else. */
export const CONTACT_NOTE = "Keep the conversation and payment in Courier — it protects you.";

/** Digits a phone number has at least (a local number without its area code) and at most (E.164). */
const PHONE_DIGITS_MIN = 7;
const PHONE_DIGITS_MAX = 15;

/**
 * A run that may be a phone number: an optional `+`, then digits with at
 * most one space, dash, dot or slash (and brackets) between two of them:
 * "+44 7700 900123", "(555) 123-4567", "138 0013 8000". Commas are not part
 * of it, so "1,200,000" is three short runs.
 */
const NUMBER_RUN = /\+?\(?\d(?:\)?[ \-./]?\(?\d)*/g;
/** Money just before a number ("£1200", "$ 1 200 000", "RMB 1200"), or just after ("1200元", "1200 EUR"). */
const CURRENCY_BEFORE = /(?:[£$€¥￥₩₹]|\b(?:rmb|cny|usd|eur|gbp|hkd|sgd|aud|cad|nt\$)\s?)\s*$/i;
const CURRENCY_AFTER = /^\s*(?:[元块塊圆圓円€£$]|(?:rmb|cny|usd|eur|gbp|hkd|sgd|aud|cad|dollars?|euros?|pounds?|yuan)\b)/i;
/**
 * A Latin letter touching the run: part of a code, a model number, a word
 * ("#12345678", "SKU1234567"). Chinese is written without spaces, so
 * "电话13800138000" still counts.
 */
const GLUED_BEFORE = /[A-Za-z_#@]$/;
const GLUED_AFTER = /^[A-Za-z_%@]/;
const DATE = [
  /^\d{4}[-./]\d{1,2}[-./]\d{1,2}$/, // 2024-05-12
  /^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/, // 12/05/2024
  /^(?:1[89]|20)\d{2}\s?[-/]\s?(?:1[89]|20)?\d{2}$/, // 1999-2005, 2023/24
];
/** A decimal ("3.14159", "1200.50"): one dot, nothing else between the digits. */
const DECIMAL = /^\d+\.\d+$/;

/*
 * Every repeat is bounded (an address's parts have limits anyway): a 4,000
 * character message of letters, digits or Chinese is read in linear time,
 * never tried again from every position to its end.
 */
const EMAIL = /[\p{L}\p{N}._%+-]{1,64}@[\p{L}\p{N}-]{1,63}(?:\.[\p{L}\p{N}-]{1,63}){0,8}\.\p{L}{2,24}/u;
/** An address written around a filter: "anna at gmail dot com", "anna(at)gmail.com". */
const EMAIL_SPELLED = /\b[a-z0-9._%+-]{1,64}\s?(?:\(at\)|\[at\]|\sat\s)\s?[a-z0-9-]{1,63}\s?(?:\.|\(dot\)|\[dot\]|\sdot\s)\s?(?:com|net|org|co|cn|de|fr|uk|io|me)\b/i;

/**
 * Payment and messaging outside Courier: payment links and apps, bank
 * transfers, an IBAN, and chat apps' links and handles (wa.me, t.me, WeChat,
 * WhatsApp…), in English and Chinese.
 */
const OFFSITE = [
  /\b(?:paypal\.me|revolut\.me|monzo\.me|venmo\.com|cash\.app|wa\.me|t\.me|telegram\.me|m\.me|line\.me|wechat\.com|weixin\.qq\.com|qr\.alipay\.com|buymeacoffee\.com|ko-fi\.com)\b/i,
  /\b(?:paypal|venmo|zelle|cash ?app|revolut|western union|moneygram|wise transfer|bitcoin|btc|usdt|crypto ?wallet)\b/i,
  /\b(?:bank|wire|direct|money|swift|faster payments?)\s+transfers?\b/i,
  /\b(?:transfer|pay|send)(?:\s+(?:it|the money|me|the payment))?\s+(?:directly\s+)?(?:to|into)\s+my\s+(?:bank|account)\b/i,
  /\b(?:iban|sort code|account number|swift code|routing number)\b/i,
  /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b/, // an IBAN: GB29 NWBK 6016 1331 9268 19
  /\b(?:whats ?app|telegram|wechat|viber|kakao ?talk|line id|snapchat|dm me on)\b/i,
  // Chinese: WeChat (微信, and the spellings that dodge filters), QQ, Alipay, bank transfers, "add me", dealing privately, phone numbers.
  /(?:微信|威信|薇信|徽信|加我|加微|\bvx\b|v信|\bQQ\b|扣扣|支付宝|支付寶|转账|轉帳|轉賬|汇款|匯款|银行卡|銀行卡|银行账号|銀行帳號|私聊|私下交易|线下交易|線下交易|手机号|手機號|电话号码|電話號碼)/i,
];

/** Every kind of contact detail in `text`, in a fixed order (phone, email, offsite); empty when there are none. */
export function findContactDetails(text: string): ContactKind[] {
  // Full-width digits and letters (１３８, ｐａｙｐａｌ) read as their plain forms.
  const plain = text.normalize("NFKC");
  const found: ContactKind[] = [];
  if (hasPhoneNumber(plain)) found.push("phone");
  if ((plain.includes("@") && EMAIL.test(plain)) || EMAIL_SPELLED.test(plain)) found.push("email");
  if (OFFSITE.some((re) => re.test(plain))) found.push("offsite");
  return found;
}

export function hasContactDetails(text: string): boolean {
  return findContactDetails(text).length > 0;
}

function hasPhoneNumber(text: string): boolean {
  for (const match of text.matchAll(NUMBER_RUN)) {
    const run = match[0];
    const start = match.index;
    const before = text.slice(Math.max(0, start - 8), start);
    const after = text.slice(start + run.length, start + run.length + 10);
    if (looksLikePhone(run, before, after)) return true;
  }
  return false;
}

function looksLikePhone(run: string, before: string, after: string): boolean {
  const digits = run.replace(/\D/g, "").length;
  if (digits < PHONE_DIGITS_MIN || digits > PHONE_DIGITS_MAX) return false;
  if (GLUED_BEFORE.test(before) || GLUED_AFTER.test(after)) return false;
  if (CURRENCY_BEFORE.test(before) || CURRENCY_AFTER.test(after)) return false;
  // "1,200,000" and "1.200,50": a number with thousands separators.
  if (/[.,]\d$/.test(before) || /^[.,]\d/.test(after)) return false;
  const bare = run.replace(/^[+(]+/, "");
  if (DECIMAL.test(bare) || DATE.some((re) => re.test(bare))) return false;
  // "sizes 42 43 44 45": short groups are a list, unless written as a number is ("06 12 34 56 78", "+33 6 12 34 56 78").
  const groups = bare.split(/\D+/);
  if (groups.every((g) => g.length <= 2) && !run.startsWith("+") && !bare.startsWith("0")) return false;
  return true;
}
