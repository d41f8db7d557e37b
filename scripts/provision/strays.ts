import { readdirSync, readFileSync } from "node:fs";
import { isAlive, log, sleepSync } from "./system.js";

/**
 * What a stopped command left running. Every process the command of
 * scripts/test.ts starts inherits a marker in its environment
 * (`COURIER_TEST_RUN=<a UUID of this run>`, set after the test servers have
 * started; scripts/test.ts stops those itself). Playwright starts its
 * webServers in process groups of their own, so when Playwright is killed
 * together with its group (CI stopping `.ci/run` with SIGTERM), they outlive
 * it. They are found by the marker in /proc/<pid>/environ, so only this run's
 * processes are touched. On a system without /proc nothing is found.
 */
export function straysOf(marker: string): number[] {
  const needle = Buffer.from(`\0${marker}\0`);
  const found: number[] = [];
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  for (const name of pids) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${pid}/environ`), Buffer.from([0])]);
      if (environ.includes(needle) && isAlive(pid)) found.push(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** The command line of `pid`, shortened for a log line. */
function commandOf(pid: number): string {
  try {
    const line = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    return line.length > 80 ? `${line.slice(0, 79)}…` : line;
  } catch {
    return String(pid);
  }
}

/** The process group of `pid`, from /proc (null when it is gone). */
function groupOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command's closing parenthesis: state, ppid, pgrp, …
    const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    return Number.isInteger(pgrp) && pgrp > 1 ? pgrp : null;
  } catch {
    return null;
  }
}

/**
 * Stops every stray carrying `marker`: SIGTERM to its process group (its own
 * PID only when it shares ours), then SIGKILL to what is left after
 * `graceMs`, and reports what it stopped. Synchronous, for an exit handler.
 * Returns how many were found.
 */
export function stopStrays(marker: string, graceMs = 5_000, report: (message: string) => void = log): number {
  const strays = straysOf(marker);
  if (strays.length === 0) return 0;
  const names = [...new Set(strays.map(commandOf))].join("; ");
  const own = groupOf(process.pid);
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    const group = groupOf(pid);
    try {
      process.kill(group !== null && group !== own ? -group : pid, sig);
    } catch {
      // already gone
    }
  };
  for (const pid of strays) signal(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (strays.some(isAlive) && Date.now() < deadline) sleepSync(50);
  for (const pid of strays.filter(isAlive)) signal(pid, "SIGKILL");
  report(`stopped ${strays.length} process${strays.length === 1 ? "" : "es"} the command left running: ${names}`);
  return strays.length;
}
