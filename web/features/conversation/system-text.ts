/**
 * The server writes order steps and group changes as system messages in the
 * third person, with the actor as sender: "Bob bought “Bike”", "Alice marked
 * the order as shipped", "Bob confirmed receipt", "Ann added Bob", "Ann
 * removed Bob", "Bob left", "Ann renamed the group to “Trip”". Shown to the
 * actor, they read as "You …"; to the one added or removed, "… you". Only
 * these known phrases are rewritten, and only on screen; anything else (a
 * newer server's wording, another language) is shown as it came.
 */
const PHRASES: { re: RegExp; you(m: RegExpMatchArray): string }[] = [
  { re: /^bought (“[\s\S]*”)$/, you: (m) => `You bought ${m[1]}` },
  { re: /^marked the order as shipped$/, you: () => "You marked the order as shipped" },
  { re: /^confirmed receipt$/, you: () => "You confirmed receipt" },
  // Offers and cancelling (issue 14): "Bob cancelled the order: “reason”", "Ann accepted the counter-offer and bought “Bike” for 45.00".
  { re: /^cancelled the order(: “[\s\S]*”)?$/, you: (m) => `You cancelled the order${m[1] ?? ""}` },
  { re: /^accepted the (counter-offer and bought|offer:) ([\s\S]+)$/, you: (m) => `You accepted the ${m[1]} ${m[2]}` },
  { re: /^renamed the group to (“[\s\S]*”)$/, you: (m) => `You renamed the group to ${m[1]}` },
  { re: /^(added|removed) ([\s\S]+)$/, you: (m) => `You ${m[1]} ${m[2]}` },
  { re: /^left$/, you: () => "You left" },
];

/**
 * `myName` is my display name if known: it makes the split exact when I
 * acted, and finds me among those added or removed by someone else.
 */
export function systemText(body: string, senderId: string, me: string, myName?: string): string {
  if (senderId !== me) return aboutMe(body, myName);
  // Prefer the known name: the rest of the text is then the phrase exactly.
  if (myName && body.startsWith(`${myName} `)) {
    const rewritten = rewrite(body.slice(myName.length + 1));
    if (rewritten) return rewritten;
  }
  // The name may have changed since: find the phrase after the first word boundary that fits.
  for (let i = body.indexOf(" "); i > 0; i = body.indexOf(" ", i + 1)) {
    const rewritten = rewrite(body.slice(i + 1));
    if (rewritten) return rewritten;
  }
  return body;
}

function rewrite(rest: string): string | null {
  for (const phrase of PHRASES) {
    const m = rest.match(phrase.re);
    if (m) return phrase.you(m);
  }
  return null;
}

/** "Ann added Bob", shown to Bob: "Ann added you" (only when the whole target is my name). */
function aboutMe(body: string, myName: string | undefined): string {
  if (!myName) return body;
  for (const verb of [" added ", " removed "]) {
    if (body.endsWith(`${verb}${myName}`) && body.length > verb.length + myName.length) return `${body.slice(0, -myName.length)}you`;
  }
  return body;
}
