import { memo, useCallback, useEffect, useRef, useState, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import type { StoredSummary as Summary } from "../../db/records.js";
import { ALL, folderExists, folderKey, folderName, foldersFor, looksUnread, parseFolderKey, type Folder } from "./folders.js";
import { folderStorageKey } from "./folder-key.js";

function remembered(userId: string): Folder {
  try {
    return parseFolderKey(sessionStorage.getItem(folderStorageKey(userId)));
  } catch {
    return ALL; // storage refused (privacy settings): every tab starts at All
  }
}

/**
 * The folder chosen in this tab (sessionStorage: a reload keeps it, another
 * tab chooses its own). A label that no longer exists shows All.
 */
export function useFolder(userId: string, summaries: readonly Summary[] | undefined): [Folder, (folder: Folder) => void] {
  const [chosen, setChosen] = useState(() => remembered(userId));
  const choose = useCallback(
    (folder: Folder) => {
      setChosen(folder);
      try {
        sessionStorage.setItem(folderStorageKey(userId), folderKey(folder));
      } catch {
        // not remembered; still chosen
      }
    },
    [userId],
  );
  const shown = summaries && !folderExists(chosen, foldersFor(summaries)) ? ALL : chosen;
  return [shown, choose];
}

/**
 * A row of folders above the list: All, Unread, Buying, Selling, my labels,
 * Archived. One line that scrolls sideways on a phone; one choice, so a
 * radio group: Tab reaches the chosen folder, ←/→ (Home/End) choose another.
 */
export const FolderBar = memo(function FolderBar({ summaries, current, onChoose }: FolderBarProps) {
  const { t } = useTranslation();
  const bar = useRef<HTMLDivElement>(null);
  const folders = foldersFor(summaries);
  const currentKey = folderKey(current);
  const archivedUnread = archivedUnreadOf(summaries);

  // The chosen folder in view (a label far to the right, remembered from before a reload).
  useEffect(() => {
    bar.current?.querySelector('[aria-checked="true"]')?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }, [currentKey]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const index = folders.findIndex((f) => folderKey(f) === currentKey);
    const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: folders.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    const folder = folders[(next + folders.length) % folders.length]!;
    onChoose(folder);
    bar.current?.querySelector<HTMLElement>(`[data-folder="${CSS.escape(folderKey(folder))}"]`)?.focus();
  };

  return (
    <div ref={bar} className="folder-bar" role="radiogroup" aria-label={t("chats.folders.label")} data-testid="folder-bar" onKeyDown={onKeyDown}>
      {folders.map((folder) => {
        const key = folderKey(folder);
        return (
          <button
            key={key}
            type="button"
            role="radio"
            className="folder-chip"
            aria-checked={key === currentKey}
            tabIndex={key === currentKey ? 0 : -1}
            data-folder={key}
            onClick={() => onChoose(folder)}
          >
            {folderName(folder)}
            {folder.kind === "archived" && archivedUnread > 0 ? (
              <span className="folder-count" aria-label={t("chats.folders.archivedUnread", { count: archivedUnread })}>
                {archivedUnread}
              </span>
            ) : null}
          </button>
        );
      })}
    </div>
  );
}, sameFolderBar);

type FolderBarProps = { summaries: readonly Summary[]; current: Folder; onChoose(folder: Folder): void };

/** Archived's count: unread conversations in it that are not muted. */
const archivedUnreadOf = (summaries: readonly Summary[]) => summaries.filter((s) => s.archived && looksUnread(s) && !s.muted).length;

/** What the bar shows of the summaries: its folders, and Archived's count (once per array: the compare sees each twice). */
const drawn = new WeakMap<readonly Summary[], string>();
function drawnFrom(summaries: readonly Summary[]): string {
  let shown = drawn.get(summaries);
  if (shown === undefined) drawn.set(summaries, (shown = JSON.stringify([foldersFor(summaries).map(folderKey), archivedUnreadOf(summaries)])));
  return shown;
}

/**
 * The list draws again for every message (new summaries each time); the bar only when what it shows changed
 * (docs/benchmarks.md, RENDERS).
 */
export function sameFolderBar(a: FolderBarProps, b: FolderBarProps): boolean {
  return folderKey(a.current) === folderKey(b.current) && a.onChoose === b.onChoose && (a.summaries === b.summaries || drawnFrom(a.summaries) === drawnFrom(b.summaries));
}
