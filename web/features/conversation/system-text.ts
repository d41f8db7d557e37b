/**
 * The server writes order steps as system messages in the third person,
 * with the actor as sender: "Bob bought “Bike”", "Alice marked the order as
 * shipped", "Bob confirmed receipt". Shown to the actor, they read as "You …".
 * Only these known phrases are rewritten, and only on screen; anything else
 * (a newer server's wording, another language) is shown as it came.
 */
const PHRASES: { re: RegExp; you(m: RegExpMatchArray): string }[] = [
  { re: /^bought (“[\s\S]*”)$/, you: (m) => `You bought ${m[1]}` },
  { re: /^marked the order as shipped$/, you: () => "You marked the order as shipped" },
  { re: /^confirmed receipt$/, you: () => "You confirmed receipt" },
];

/** `actorName` is the sender's display name if known (it makes the split exact). */
export function systemText(body: string, senderId: string, me: string, actorName?: string): string {
  if (senderId !== me) return body;
  // Prefer the known name: the rest of the text is then the phrase exactly.
  if (actorName && body.startsWith(`${actorName} `)) {
    const rewritten = rewrite(body.slice(actorName.length + 1));
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
