import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants, readFileSync, statSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { delimiter, join } from "node:path";

/**
 * A provisioning failure the user can fix. Its message is one sentence saying
 * what to install or set; callers print it as is, without a stack.
 */
export class ProvisionError extends Error {
  override name = "ProvisionError";
}

/** Thrown by run() once interruptChildren() was called: nothing new starts. */
export class Interrupted extends Error {
  override name = "Interrupted";
}

export function log(message: string): void {
  console.info(`test: ${message}`);
}

export function seconds(sinceMs: number): string {
  return `${((performance.now() - sinceMs) / 1000).toFixed(1)} s`;
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first executable `command` on PATH. */
export function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && isExecutable(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The shell-style exit code of a child: its code, or 128 + the number of the signal that ended it. */
export function exitCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0);
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Collect stdout and stderr (for the caller to show on failure) instead of sharing the terminal. */
  capture?: boolean;
  /** Own session and process group: a Ctrl-C in the terminal does not reach it (servers we stop ourselves). */
  detached?: boolean;
}

export interface RunResult {
  code: number;
  output: string;
}

// Children of run() still running, so that a signal can be passed on to them.
const running = new Set<ChildProcess>();
let interrupted = false;

/** Runs a command to completion. Rejects when it cannot be started (e.g. ENOENT), or with Interrupted once interruptChildren() was called. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  if (interrupted) return Promise.reject(new Interrupted(`not starting ${command}: interrupted`));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: options.capture ? ["ignore", "pipe", "pipe"] : "inherit",
      detached: options.detached ?? false,
    });
    running.add(child);
    let output = "";
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    child.once("error", (error) => {
      running.delete(child);
      reject(error);
    });
    // "close" waits for captured output to end; children sharing the terminal are done at "exit".
    child.once(options.capture ? "close" : "exit", (code: number | null, signal: NodeJS.Signals | null) => {
      running.delete(child);
      // Ended by interruptChildren(): the caller is on its way out, not to report a failure.
      if (interrupted) reject(new Interrupted(`${command} interrupted`));
      else resolve({ code: exitCode(code, signal), output });
    });
  });
}

/**
 * Passes `signal` on to every running child of run() (by PID), waits up to
 * `graceMs` for them to exit, then SIGKILLs the rest. After this run() starts
 * nothing new.
 */
export async function interruptChildren(signal: NodeJS.Signals, graceMs: number): Promise<void> {
  interrupted = true;
  for (const child of running) child.kill(signal);
  const deadline = Date.now() + graceMs;
  while (running.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const child of running) child.kill("SIGKILL");
}

/** Blocks the thread (for cleanup code, which must stay synchronous to run in an exit handler). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether `pid` runs; a zombie (exited, not yet reaped: our own children while cleanup blocks the event loop) does not. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** Waits (synchronously) up to `ms` for `pid` to be gone. */
export function waitGoneSync(pid: number, ms: number): boolean {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    sleepSync(25);
  }
  return true;
}

/** The last non-empty line of some command output, for one-sentence errors. */
export function lastLine(output: string): string {
  const lines = output.split("\n").map((line) => line.trim()).filter(Boolean);
  return lines.at(-1) ?? "no output";
}
