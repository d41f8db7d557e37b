import { language, locale, t } from "../../i18n/index.js";
import { formatPrice } from "../../lib/money.js";

/**
 * The server writes order steps and group changes as system messages in
 * English, in the third person, with the actor as sender: "Bob bought
 * “Bike”", "Alice marked the order as shipped", "Bob confirmed receipt",
 * "Ann added Bob", "Ann removed Bob", "Bob left", "Ann renamed the group to
 * “Trip”". The known phrases are read back into the app's own sentences
 * (conversation.system.*, issue 17): shown to the actor, they read as "You
 * …"; to the one added or removed, "… you". Anything else (a newer server's
 * wording) is shown as it came. Titles, reasons and names are never translated.
 */
type Line = { key: SystemKey; vars?: Record<string, string> };
type SystemKey =
  | "bought"
  | "shipped"
  | "received"
  | "cancelled"
  | "cancelledReason"
  | "acceptedCounter"
  | "acceptedCounterOther"
  | "acceptedOffer"
  | "acceptedOfferOther"
  | "renamed"
  | "added"
  | "removed"
  | "left";

/** "“Bike” for 45.00": the title (with its quotes) and the price. */
const SALE = /^(“[\s\S]*”) for (\S+)$/;

const PHRASES: { re: RegExp; line(m: RegExpMatchArray): Line }[] = [
  { re: /^bought (“[\s\S]*”)$/, line: (m) => ({ key: "bought", vars: { title: m[1]! } }) },
  { re: /^marked the order as shipped$/, line: () => ({ key: "shipped" }) },
  { re: /^confirmed receipt$/, line: () => ({ key: "received" }) },
  // Offers and cancelling (issue 14): "Bob cancelled the order: “reason”", "Ann accepted the counter-offer and bought “Bike” for 45.00".
  { re: /^cancelled the order(?:: (“[\s\S]*”))?$/, line: (m): Line => (m[1] === undefined ? { key: "cancelled" } : { key: "cancelledReason", vars: { reason: m[1] } }) },
  {
    re: /^accepted the counter-offer and bought ([\s\S]+)$/,
    line: (m): Line => {
      const sale = m[1]!.match(SALE);
      return sale ? { key: "acceptedCounter", vars: { title: sale[1]!, price: price(sale[2]!) } } : { key: "acceptedCounterOther", vars: { rest: m[1]! } };
    },
  },
  {
    re: /^accepted the offer: ([\s\S]+)$/,
    line: (m): Line => {
      const sale = m[1]!.match(/^([\s\S]+?) bought (“[\s\S]*”) for (\S+)$/);
      return sale ? { key: "acceptedOffer", vars: { buyer: sale[1]!, title: sale[2]!, price: price(sale[3]!) } } : { key: "acceptedOfferOther", vars: { rest: m[1]! } };
    },
  },
  { re: /^renamed the group to (“[\s\S]*”)$/, line: (m) => ({ key: "renamed", vars: { title: m[1]! } }) },
  { re: /^(added|removed) ([\s\S]+)$/, line: (m) => ({ key: m[1] as "added" | "removed", vars: { names: m[2]! } }) },
  { re: /^left$/, line: () => ({ key: "left" }) },
];

/**
 * `myName` is my display name if known: it makes the split exact when I
 * acted, and finds me among those added or removed by someone else;
 * `senderName`, the sender's, does the same for someone else's line.
 */
export function systemText(body: string, senderId: string, me: string, myName?: string, senderName?: string): string {
  const mine = senderId === me;
  const known = mine ? myName : senderName;
  // Prefer the known name: the rest of the text is then the phrase exactly.
  if (known && body.startsWith(`${known} `)) {
    const said = say(body.slice(0, known.length), body.slice(known.length + 1), mine, myName);
    if (said !== null) return said;
  }
  // The name may have changed since (or is unknown): find the phrase after the first word boundary that fits.
  for (let i = body.indexOf(" "); i > 0; i = body.indexOf(" ", i + 1)) {
    const said = say(body.slice(0, i), body.slice(i + 1), mine, myName);
    if (said !== null) return said;
  }
  return body;
}

function say(actor: string, rest: string, mine: boolean, myName: string | undefined): string | null {
  for (const phrase of PHRASES) {
    const m = rest.match(phrase.re);
    if (!m) continue;
    const { key, vars = {} } = phrase.line(m);
    // "Bob accepted the offer: Ann bought …", shown to Ann: "… you bought …".
    if (key === "acceptedOffer" && !mine && myName && vars.buyer === myName) vars.buyer = t("conversation.system.youObject");
    if ((key === "added" || key === "removed") && vars.names !== undefined) {
      // "Ann added Bob", shown to Bob: "Ann added you" (only when the whole target is my name).
      vars.names = !mine && myName && vars.names === myName ? t("conversation.system.youObject") : names(vars.names);
    }
    return t(`conversation.system.${key}`, { ...vars, name: mine ? t("common.you") : actor });
  }
  return null;
}

/**
 * The server writes a price as "45.00" (the protocol carries no currency);
 * shown as the app shows every price ("$45.00", "US$45.00"). Anything else
 * (a newer server's wording) is kept as it came.
 */
function price(written: string): string {
  const m = written.match(/^(\d{1,12})\.(\d{2})$/);
  return m ? formatPrice(Number(m[1]) * 100 + Number(m[2])) : written;
}

/**
 * The server joins names in English ("Ann, Bob and Cy"); another language
 * joins them its own way ("Ann、Bob和Cy"). English keeps them as they came.
 */
function names(list: string): string {
  if (language() === "en") return list;
  const and = list.lastIndexOf(" and ");
  if (and < 0) return list;
  const all = [...list.slice(0, and).split(", "), list.slice(and + " and ".length)];
  return new Intl.ListFormat(locale(), { type: "conjunction" }).format(all);
}
