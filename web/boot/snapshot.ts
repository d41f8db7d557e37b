import { useEffect, useSyncExternalStore } from "react";
import type { OutboxRow, StoredSummary } from "../db/records.js";
import type { SafetyRow } from "../features/safety/blocks.js";
import type { BootRead, BootSnapshot } from "./read.js";

declare global {
  interface Window {
    /** Set by the boot script (web/boot/boot.ts) before the app's module runs. */
    __courierBoot?: BootRead | null;
  }
}

/** The conversation list's first screen, as the boot script read it (web/boot/read.ts). */
export interface FirstScreen {
  conversations: StoredSummary[];
  outbox: OutboxRow[];
  blocks: SafetyRow | null;
}

let read: { userId: string; screen: FirstScreen | null } | null = null;
/** Once the list's own queries have answered, the boot's read is never shown again (it only gets older). */
let spent = false;
const listeners = new Set<() => void>();

/** Takes the boot script's read (the page's, or a test's). */
export function adoptBootRead(boot: BootRead | null | undefined): void {
  read = null;
  spent = false;
  if (!boot) return;
  void boot.snapshot.then(
    (snapshot) => {
      if (spent) return;
      read = { userId: boot.userId, screen: snapshot && asFirstScreen(snapshot) };
      for (const listener of listeners) listener();
    },
    () => {},
  );
}

if (typeof window !== "undefined") {
  adoptBootRead(window.__courierBoot);
  // Taken: the page keeps no other handle on it (a user who signs out leaves nothing of theirs behind).
  delete window.__courierBoot;
}

function asFirstScreen(snapshot: BootSnapshot): FirstScreen {
  return {
    conversations: snapshot.conversations as StoredSummary[],
    outbox: snapshot.outbox as OutboxRow[],
    blocks: (snapshot.blocks as SafetyRow | null) ?? null,
  };
}

/** `userId`'s first screen as the boot script read it, once it has; null before, for another user, or once spent. */
export function firstScreenOf(userId: string): FirstScreen | null {
  return spent || read?.userId !== userId ? null : read.screen;
}

/** The list's own queries have answered: the boot's read is never shown again. */
export function spendFirstScreen(): void {
  spent = true;
  read = null;
}

const marks = new Set<string>();
function marked(name: string | null): void {
  if (name === null || marks.has(name)) return;
  marks.add(name);
  performance.mark(name);
}

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

/**
 * What `userId`'s list showed when the page started, until `answered` (its
 * own queries have answered): then undefined, for good.
 */
export function useFirstScreen(userId: string, answered: boolean): FirstScreen | undefined {
  const screen = useSyncExternalStore(subscribe, () => firstScreenOf(userId));
  const shown = answered || !screen ? undefined : screen;
  useEffect(() => {
    if (answered) spendFirstScreen();
    // Where a cold start stands (bench/suites/browser.ts reads the courier:* marks): the list's data, from which read.
    marked(answered ? "courier:list-queries-answered" : shown ? "courier:list-from-boot-read" : null);
  }, [answered, shown]);
  return shown;
}
