import { rmSync } from "node:fs";
import { log } from "./system.js";

/**
 * Process-wide cleanup: whatever a provisioner starts registers how to stop it
 * here, and it runs on every exit that Node sees (normal end, process.exit(),
 * an uncaught exception), last registered first. Tasks are synchronous so they
 * can run in the "exit" handler. Signals are the caller's business: turn them
 * into process.exit() (scripts/test.ts does) and this runs.
 */
const tasks: Array<() => void> = [];

export function onCleanup(task: () => void): () => void {
  tasks.push(task);
  return () => {
    const index = tasks.indexOf(task);
    if (index >= 0) tasks.splice(index, 1);
  };
}

/**
 * The stop of a throwaway server: `halt` ends it, then its temp `dir` goes.
 * Idempotent, registered with onCleanup at once (so an interrupt at any
 * point still cleans up) and unregistered when called.
 */
export function stopper(name: string, dir: string, halt: () => void): () => void {
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    unregister();
    halt();
    rmSync(dir, { recursive: true, force: true });
    log(`stopped ${name}, removed ${dir}`);
  };
  const unregister = onCleanup(stop);
  return stop;
}

export function cleanupNow(): void {
  for (let task = tasks.pop(); task; task = tasks.pop()) {
    try {
      task();
    } catch (error) {
      console.error("test: cleanup failed:", error);
    }
  }
}

process.on("exit", cleanupNow);
