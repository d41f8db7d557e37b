export type TextPart = { type: "text"; text: string } | { type: "link"; text: string; href: string };

// A run of non-space characters starting with http:// or https://.
const URL_RUN = /\bhttps?:\/\/[^\s<>"]+/gi;
const TRAILING = /[.,;:!?'"’”»)\]}>]$/;
const CLOSERS: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

/**
 * Splits message text into plain runs and http(s) links, to be rendered as
 * React text and <a> elements (never as HTML). Punctuation that ends a
 * sentence is left out of the link ("see https://x.org." → link
 * "https://x.org"), but a closing bracket that pairs with one in the URL
 * stays (Wikipedia-style "…/Foo_(bar)"). Anything `URL` can't parse, or
 * that is not http(s), stays plain text.
 */
export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  const push = (t: string) => {
    if (!t) return;
    const prev = parts.at(-1);
    if (prev?.type === "text") prev.text += t;
    else parts.push({ type: "text", text: t });
  };
  for (const match of text.matchAll(URL_RUN)) {
    const start = match.index;
    let url = match[0];
    url = trimTrailing(url);
    const href = safeHref(url);
    if (!href) continue;
    push(text.slice(last, start));
    parts.push({ type: "link", text: url, href });
    last = start + url.length;
  }
  push(text.slice(last));
  return parts;
}

function trimTrailing(url: string): string {
  let out = url;
  while (TRAILING.test(out)) {
    const ch = out.at(-1)!;
    const opener = CLOSERS[ch];
    if (opener && count(out, opener) >= count(out, ch)) break;
    out = out.slice(0, -1);
  }
  return out;
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

/** The normalised URL when it is a real http(s) address with a host, else null. */
export function safeHref(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (!url.hostname) return null;
  return url.href;
}
