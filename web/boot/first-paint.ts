/**
 * The first paint (issue 16, cold start; docs/first-paint.md): the
 * conversation list as the app last drew it, shown by the boot script as soon
 * as its IndexedDB read confirms that nothing it shows has changed since, and
 * removed by the app's first render.
 *
 * The app saves what it drew (web/boot/save-first-paint.ts) as a tree of
 * elements, attributes and text, never as HTML: the boot script builds it with
 * `createElement` and `textContent`, so no message text is ever parsed as
 * markup, and it builds only the tags and attributes allowed here. The paint
 * is tied to the data it was drawn from (`dataKey` of the conversations,
 * outbox and blocks the list read), the language, the folder and the route:
 * any of them different and nothing is painted; the app draws as before.
 * Times are labelled again when painted (`relativeLabel`, the app's own
 * function, with the words saved beside the paint).
 *
 * Imports nothing that runs code at load: this module is in the boot script.
 */
import type { BootSnapshot } from "./read.js";
import { relativeLabel, type TimeWords } from "../lib/relative-time.js";

/**
 * localStorage: a new value after every committed write to what the list
 * draws from (conversations, outbox, safety), in any tab (save-first-paint.ts
 * `stampListWrites`). A paint saved under the stamp that is still there was
 * drawn from the data still stored (but for a write the page died before
 * drawing, which the read's digest catches), so it can be shown before
 * IndexedDB has even opened.
 */
export const LIST_STAMP_KEY = "courier.listStamp";
/** Whose writes stamp it: the stores the boot read reads (read.ts). */
export const STAMPED_WRITE = /^idb:\/\/courier-[^/]+\/(conversations|outbox|safety)\//;
/** localStorage: one paint, the last signed-in user's (removed with their session, web/db/device-db.ts). */
export const FIRST_PAINT_KEY = "courier.firstPaint";
/** The painted copy's element, before #root; the app removes it when it first renders (App). */
export const FIRST_PAINT_ID = "first-paint";
/** A list too large to be worth the storage is not saved (characters of JSON). */
export const FIRST_PAINT_MAX_CHARS = 512 * 1024;
const VERSION = 1;

/** An element: its tag, its attributes, its children (text is a string). */
export type PaintElement = [tag: string, attrs: Record<string, string>, ...children: PaintNode[]];
export type PaintNode = string | PaintElement;

export interface SavedPaint {
  v: typeof VERSION;
  userId: string;
  /** `dataKey` of what the list was drawn from. */
  data: string;
  /** LIST_STAMP_KEY's value when saved ("" for none). */
  stamp: string;
  /** The app's language and Intl locale when drawn (web/i18n/language.ts). */
  language: string;
  locale: string;
  /** The folder the tab remembered (sessionStorage, folder-key.ts `rememberedFolder`). */
  folder: string;
  /** `buildOf` the page that drew it: another build's markup is never shown under this one's styles. */
  build: string;
  /** The relative time's words in that language: minutes[n] for 1–59. */
  words: { now: string; minutes: string[]; yesterday: string };
  tree: PaintElement;
}

// ── what the list was drawn from ────────────────────────────────────────────

/**
 * A digest of the stored data the conversation list draws: every summary (in
 * primary-key order, as IndexedDB's getAll and Dexie's toArray give them), the
 * outbox by `createdAt`, the ids I block. Computed from the app's queries when
 * saving and from the boot script's read when painting: equal, and the list
 * would draw what was saved.
 */
export function dataKey(conversations: readonly unknown[], outbox: readonly unknown[], blocked: Iterable<string>): string {
  const json = JSON.stringify([conversations, outbox, [...new Set(blocked)].sort()]);
  // Two 32-bit FNV-1a hashes with different seeds: a digest, not a security boundary (the data is the page's own).
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ json.length;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return `${json.length.toString(36)}.${(a >>> 0).toString(36)}.${(b >>> 0).toString(36)}`;
}

/** The ids in the safety table's "blocks" row, as stored (web/features/safety/blocks.ts). */
export function blockedIdsOf(row: unknown): string[] {
  const ids = (row as { userIds?: unknown } | null)?.userIds;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : [];
}

// ── the tree: what is kept, what is built ───────────────────────────────────

const HTML_TAGS = new Set([
  "div", "span", "p", "a", "ul", "ol", "li", "button", "h1", "h2", "h3", "h4", "header", "nav", "main", "aside", "section",
  "footer", "time", "strong", "em", "b", "i", "small", "mark", "img", "label", "input", "form", "fieldset", "legend",
]);
const SVG_TAGS = new Set(["svg", "path", "circle", "rect", "g", "line", "polyline", "polygon", "ellipse"]);
const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * What the paint leaves out: transient things (dialogs, menus, toasts, the
 * connection's status, live regions) and what no one sees.
 */
const SKIPPED = '[role="dialog"], [role="menu"], [role="status"], [role="alert"], [role="log"], [aria-live], dialog, .visually-hidden, [data-first-paint-skip]';

/**
 * Attributes the paint keeps: layout and looks (class, style, dir, data-*
 * and aria-* states the CSS reads, SVG geometry), not behaviour or identity.
 * The copy is inert and hidden from assistive technology (the app's own list
 * follows within moments), so no ids, links or handlers.
 */
function keptAttribute(tag: string, name: string, value: string): boolean {
  if (/^on/i.test(name) || name.includes(":")) return false;
  switch (name) {
    case "id":
    case "name":
    case "href":
    case "srcset":
    case "tabindex":
    case "title":
    case "autofocus":
    case "action":
    case "formaction":
    case "data-testid":
    case "data-menu-open":
      return false;
    case "src":
      // Only this origin's own paths (a photo's thumbnail); a blob: address died with the page that made it.
      return tag === "img" && sameOriginPath(value);
    default:
      return true;
  }
}

function sameOriginPath(value: string): boolean {
  try {
    const base = globalThis.location?.origin ?? "http://localhost";
    return /^\/(?!\/)/.test(value) && new URL(value, base).origin === base;
  } catch {
    return false;
  }
}

/**
 * A screen showing state a start will not restore (something opened or
 * closed by hand) is not saved; an element says so with this attribute.
 */
export const UNSURE = "[data-first-paint-unsure]";
/**
 * Rows below the screen are left out (`screenBottom`; the app draws them within moments), and so is anything past
 * an element's first 40 children; long text is cut: a line shows ~80 characters.
 */
const MAX_CHILDREN = 40;
const MAX_TEXT = 240;

/** What the copy reaches past a screen's height (see screenBottom). */
export const SCREEN_HEADROOM = 1.25;

/**
 * How far down the copy reaches: the screen's height (a window is never taller than its screen), its width too
 * where the screen turns (a touch screen: a phone saved in landscape starts in portrait), or the window's height, if
 * a zoom makes it the taller; and a quarter more, for what moves the rows between the save and the start (a line of
 * the header that wrapped, a browser that gives the window's size as the screen's). What lies below is left out of
 * the copy: a smaller entry to load and parse, and less to build before the first frame.
 */
export function screenBottom(win: Pick<Window, "innerHeight" | "screen" | "navigator">): number {
  const screen = win.screen ?? { width: 0, height: 0 };
  const turns = (win.navigator?.maxTouchPoints ?? 0) > 0;
  return Math.ceil(Math.max(screen.height, turns ? screen.width : 0, win.innerHeight) * SCREEN_HEADROOM);
}

/**
 * `el` as a paint tree, or null for an element the paint leaves out. With `bottom`, a child of a box whose content
 * overflows it (the conversation list) that lies at or below it, with the box scrolled to its start, is left out.
 */
export function paintTree(el: Element, bottom = Infinity): PaintElement | null {
  const tag = el.localName;
  const svg = el.namespaceURI === SVG_NS;
  if (!(svg ? SVG_TAGS : HTML_TAGS).has(tag) || el.matches(SKIPPED)) return null;
  const attrs: Record<string, string> = {};
  for (const { name, value } of Array.from(el.attributes)) if (keptAttribute(tag, name, value)) attrs[name] = value;
  const node: PaintElement = [tag, attrs];
  // A box whose content overflows it: its rows in the flow sit `scrolled` px higher now than they will at a start.
  const scrolled = bottom !== Infinity && el.scrollHeight > el.clientHeight ? el.scrollTop : null;
  for (const child of Array.from(el.childNodes)) {
    if (node.length - 2 >= MAX_CHILDREN) break;
    if (child.nodeType === 3) {
      const text = child.textContent ?? "";
      // By code points: a cut never splits a surrogate pair.
      if (text) node.push(text.length > MAX_TEXT ? Array.from(text).slice(0, MAX_TEXT).join("") : text);
    } else if (child.nodeType === 1) {
      // One by one, not cut at the first: a row placed out of the flow says nothing of the next.
      if (scrolled !== null && belowAtStart(child as Element, scrolled, bottom)) continue;
      const kid = paintTree(child as Element, bottom);
      if (kid) node.push(kid);
    }
  }
  return node;
}

/**
 * A row of a box scrolled by `scrolled` px that would lie at or below `bottom` with the box at its start. Only a row
 * in the flow moves with the scroll; any other is kept (its place says nothing of a start).
 */
function belowAtStart(row: Element, scrolled: number, bottom: number): boolean {
  const { position } = getComputedStyle(row);
  return (position === "static" || position === "relative") && row.getBoundingClientRect().top + scrolled >= bottom;
}

/** Which build drew the page: its module script and stylesheet (both named by content hash). */
export function buildOf(doc: Document): string {
  const script = doc.querySelector('script[type="module"][src]')?.getAttribute("src") ?? "";
  const style = doc.querySelector('link[rel="stylesheet"][href]')?.getAttribute("href") ?? "";
  return `${script} ${style}`;
}

/** The elements of a paint tree, built with the same rules it was saved under (a stored tree is not trusted). */
export function buildTree(doc: Document, node: PaintElement, inSvg = false): Element | null {
  const [tag, attrs, ...children] = node;
  const svg = inSvg || tag === "svg";
  if (typeof tag !== "string" || !(svg ? SVG_TAGS : HTML_TAGS).has(tag) || typeof attrs !== "object" || attrs === null) return null;
  const el = svg ? doc.createElementNS(SVG_NS, tag) : doc.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value !== "string" || !keptAttribute(tag, name, value)) continue;
    try {
      // Through the CSSOM, as React sets it: the Content-Security-Policy (style-src 'self') refuses a style attribute.
      if (name === "style") (el as HTMLElement | SVGElement).style.cssText = value;
      else el.setAttribute(name, value);
    } catch {
      // not a valid attribute name: left out
    }
  }
  for (const child of children) {
    if (typeof child === "string") el.appendChild(doc.createTextNode(child));
    else if (Array.isArray(child)) {
      const kid = buildTree(doc, child as PaintElement, svg);
      if (kid) el.appendChild(kid);
    }
  }
  return el;
}

/** Each relative time in `root` (`<time data-relative datetime>`) labelled for `now`. */
export function relabelTimes(root: ParentNode, now: number, words: SavedPaint["words"], locale: string): void {
  const timeWords: TimeWords = { now: () => words.now, minutes: (n) => words.minutes[n] ?? "", yesterday: () => words.yesterday };
  for (const el of Array.from(root.querySelectorAll("time[data-relative][datetime]"))) {
    const at = Date.parse(el.getAttribute("datetime") ?? "");
    if (Number.isFinite(at)) el.textContent = relativeLabel(at, now, timeWords, locale);
  }
}

// ── saved and read ──────────────────────────────────────────────────────────

/** The JSON a saved paint starts with (`v` and `userId` come first, as `saveFirstPaint` writes them). */
function savedPrefix(userId: string): string {
  return `{"v":${VERSION},"userId":${JSON.stringify(userId)},`;
}

/** Whether `raw` (the stored entry) is `userId`'s paint, without parsing up to half a megabyte at every sign-in. */
export function savedPaintIsFor(raw: string | null, userId: string): boolean {
  return raw !== null && raw.startsWith(savedPrefix(userId));
}

export function parseSavedPaint(raw: string | null): SavedPaint | null {
  if (!raw) return null;
  try {
    const p = JSON.parse(raw) as Partial<SavedPaint> | null;
    const w = p?.words;
    const ok =
      p?.v === VERSION &&
      typeof p.userId === "string" &&
      typeof p.data === "string" &&
      typeof p.stamp === "string" &&
      typeof p.language === "string" &&
      typeof p.locale === "string" &&
      typeof p.folder === "string" &&
      typeof p.build === "string" &&
      typeof w?.now === "string" &&
      typeof w.yesterday === "string" &&
      Array.isArray(w.minutes) &&
      w.minutes.every((m) => typeof m === "string") &&
      Array.isArray(p.tree);
    return ok ? (p as SavedPaint) : null;
  } catch {
    return null;
  }
}

/** What the page would draw now, to hold a saved paint against. */
export interface PaintContext {
  userId: string;
  language: string;
  locale: string;
  folder: string;
  /** The page's route is the conversation list. */
  onList: boolean;
}

/** The saved paint if it was drawn for this user, language, locale, folder and route, else null (its data is checked apart). */
export function paintFor(saved: SavedPaint | null, now: PaintContext): SavedPaint | null {
  if (!saved || !now.onList) return null;
  return saved.userId === now.userId && saved.language === now.language && saved.locale === now.locale && saved.folder === now.folder ? saved : null;
}

/** The list would draw `paint`'s data from `snapshot` (the boot read): the digests agree. */
export function drawnFrom(paint: SavedPaint, snapshot: BootSnapshot): boolean {
  return paint.data === dataKey(snapshot.conversations, snapshot.outbox, blockedIdsOf(snapshot.blocks));
}

/**
 * Shows `paint` before `root` (#root, still empty: the app has not rendered),
 * fixed over the page, inert and hidden from assistive technology. Returns
 * whether it did.
 */
export function showPaint(doc: Document, root: Element, paint: SavedPaint, now: number): boolean {
  if (root.hasChildNodes() || doc.getElementById(FIRST_PAINT_ID) || paint.build !== buildOf(doc)) return false;
  const tree = buildTree(doc, paint.tree);
  if (!tree) return false;
  relabelTimes(tree, now, paint.words, paint.locale);
  const holder = doc.createElement("div");
  holder.id = FIRST_PAINT_ID;
  holder.setAttribute("aria-hidden", "true");
  holder.inert = true;
  holder.appendChild(tree);
  root.before(holder);
  return true;
}
