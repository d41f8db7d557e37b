import { useEffect, useLayoutEffect, useRef } from "react";
import { Dexie } from "dexie";
import { FIRST_PAINT_ID, FIRST_PAINT_KEY, FIRST_PAINT_MAX_CHARS, LIST_STAMP_KEY, STAMPED_WRITE, UNSURE, buildOf, dataKey, paintTree, screenBottom, type SavedPaint } from "./first-paint.js";
import type { OutboxRow, StoredSummary } from "../db/records.js";
import { folderKey, parseFolderKey, type Folder } from "../features/conversations/folders.js";
import { folderStorageKey, rememberedFolder } from "../features/conversations/folder-key.js";
import { profileUser } from "../db/device-db.js";
import { language, locale, t } from "../i18n/index.js";

/** What the list drew its rows from (its own queries, unfiltered), and the folder it shows. */
export interface DrawnFrom {
  conversations: readonly StoredSummary[];
  outbox: readonly OutboxRow[];
  blocked: Iterable<string>;
  folder: Folder;
}

/** After a change settles, and when the page is hidden or left (the last state is the one the next start shows). */
const SETTLE_MS = 800;

/**
 * Saves the screen the conversation list is part of for the next start's
 * first paint (web/boot/first-paint.ts), while `drawn` is given: the list is
 * showing, from its own queries. Saved a moment after each change, and at
 * once when the page is hidden or left.
 */
export function useFirstPaintSaver(userId: string, drawn: DrawnFrom | null): void {
  const latest = useRef(drawn);
  useLayoutEffect(() => {
    latest.current = drawn;
  });
  // A new language draws the same data in other words.
  const lang = language();
  useEffect(() => {
    if (!drawn) return;
    let idle: number | undefined;
    // Only the tab in front saves (it is what the person left); a hidden one would overwrite it with its own folder.
    const save = () => {
      clearTimeout(timer);
      if (idle !== undefined) cancelIdleCallback(idle);
      if (latest.current && document.visibilityState === "visible") saveFirstPaint(userId, latest.current);
    };
    // Settled, then when the page is idle (where the browser can say; Safari cannot): never ahead of input.
    const timer = setTimeout(() => {
      if (typeof requestIdleCallback === "function") idle = requestIdleCallback(save, { timeout: SETTLE_MS });
      else save();
    }, SETTLE_MS);
    // Fired once the page is hidden: saved as it was on screen.
    const onHidden = () => {
      if (document.visibilityState !== "hidden" || !latest.current) return;
      clearTimeout(timer);
      if (idle !== undefined) cancelIdleCallback(idle);
      saveFirstPaint(userId, latest.current);
    };
    window.addEventListener("pagehide", save);
    document.addEventListener("visibilitychange", onHidden);
    return () => {
      clearTimeout(timer);
      if (idle !== undefined) cancelIdleCallback(idle);
      window.removeEventListener("pagehide", save);
      document.removeEventListener("visibilitychange", onHidden);
    };
    // Each input of the draw: any new one settles again.
  }, [userId, lang, drawn?.conversations, drawn?.outbox, drawn?.blocked, drawn?.folder, drawn !== null]);
}

/** The signed-in screen (.shell) as drawn now, with what it was drawn from. Exported for tests. */
export function saveFirstPaint(userId: string, drawn: DrawnFrom, doc: Document = document, given?: Storage): boolean {
  try {
    // Read here, not as a default: merely reading `localStorage` throws where storage is refused (a third-party frame).
    const storage = given ?? localStorage;
    const shell = doc.querySelector("#root .shell");
    // Never while the boot's copy is up (nothing of the app's is drawn yet), nor a screen a start would not show.
    if (!shell || doc.getElementById(FIRST_PAINT_ID) || shell.querySelector(UNSURE)) return false;
    // Only for the account signed in on this profile: a tab that has not yet heard of a sign-out saves nothing.
    if (profileUser() !== userId) return false;
    const remembered = sessionStorage.getItem(folderStorageKey(userId));
    // The folder a reload would show is the one remembered; one shown for another reason (a label gone) is not saved.
    if (folderKey(parseFolderKey(remembered)) !== folderKey(drawn.folder)) return false;
    const tree = paintTree(shell, screenBottom(doc.defaultView ?? window));
    if (!tree) return false;
    const paint: SavedPaint = {
      v: 1,
      userId,
      data: dataKey(drawn.conversations, drawn.outbox, drawn.blocked),
      stamp: storage.getItem(LIST_STAMP_KEY) ?? "",
      language: language(),
      locale: locale(),
      folder: rememberedFolder(remembered),
      build: buildOf(doc),
      words: { now: t("time.now"), minutes: Array.from({ length: 60 }, (_, n) => (n === 0 ? "" : t("time.minutes", { count: n }))), yesterday: t("time.yesterday") },
      tree,
    };
    const json = JSON.stringify(paint);
    if (json.length > FIRST_PAINT_MAX_CHARS) {
      storage.removeItem(FIRST_PAINT_KEY);
      return false;
    }
    storage.setItem(FIRST_PAINT_KEY, json);
    return true;
  } catch {
    // Storage full or refused: the next start draws the usual way.
    return false;
  }
}

/** The boot script's copy of the list (web/boot/first-paint.ts), gone: the app draws what it covered. */
export function removeFirstPaint(): void {
  document.getElementById(FIRST_PAINT_ID)?.remove();
}

/**
 * The copy gives way once `now` holds, in the commit that draws what replaces
 * it (a layout effect runs before the frame is painted): the list once it has
 * its data, any other screen at once. Until then it covers the app's
 * "Loading…", so a start never goes copy, "Loading…", list.
 */
export function useRemoveFirstPaint(now: boolean): void {
  useLayoutEffect(() => {
    if (now) removeFirstPaint();
  }, [now]);
}

/**
 * Stamps LIST_STAMP_KEY anew after every committed write to what the list
 * draws from, this tab's or another's (Dexie tells each tab of the others'
 * writes): a paint saved under an older stamp waits for the boot read's
 * digest before it is shown (web/boot/first-paint.ts). Once per page.
 */
export function stampListWrites(given?: Pick<Storage, "setItem">): void {
  let n = 0;
  const page = Math.random().toString(36).slice(2);
  Dexie.on("storagemutated", (parts) => {
    if (!Object.keys(parts).some((part) => STAMPED_WRITE.test(part))) return;
    try {
      // Read here, not as a default: merely reading `localStorage` throws where storage is refused (a third-party frame).
      (given ?? localStorage).setItem(LIST_STAMP_KEY, `${page}.${++n}`);
    } catch {
      // Storage refused: the saved paint still waits for the read's digest (its stamp is not the one stored).
    }
  });
}
