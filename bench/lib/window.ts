import { epochNow } from "./jobs.js";
import { CpuMeter, cpuMs, type CpuTarget } from "./proc.js";
import type { BenchServer, ServerStalls } from "./server.js";

/**
 * CPU of the given processes over exactly a measurement window that starts
 * at epoch ms `from` (in the future) and lasts `durationMs`; resolves at its
 * end. Runs beside the phase that produces the load.
 */
export async function cpuOverWindow(pids: Record<string, CpuTarget>, from: number, durationMs: number): Promise<ReturnType<CpuMeter["stop"]>> {
  await new Promise((r) => setTimeout(r, Math.max(0, from - epochNow())));
  const meter = new CpuMeter(pids).start();
  await new Promise((r) => setTimeout(r, durationMs));
  return meter.stop();
}

/**
 * Profiles the server over a window the same way (in-process V8 profiler via
 * the bench probe). Never throws: a server too backlogged to answer the probe
 * in time gives no profile, and the error is returned instead.
 */
export async function profileWindow(server: BenchServer, from: number, durationMs: number, file: string): Promise<string | null> {
  try {
    await new Promise((r) => setTimeout(r, Math.max(0, from - epochNow())));
    await server.profileStart();
    await new Promise((r) => setTimeout(r, durationMs));
    await server.profileStop(file);
    return null;
  } catch (error) {
    return String(error);
  }
}

/**
 * What held the server's main thread over a window (the bench probe's
 * `stalls`); null if the server did not answer the probe.
 */
export async function stallsWindow(server: BenchServer, from: number, durationMs: number): Promise<ServerStalls | null> {
  try {
    await new Promise((r) => setTimeout(r, Math.max(0, from - epochNow())));
    await server.stallsStart();
    await new Promise((r) => setTimeout(r, durationMs));
    return await server.stallsStop();
  } catch {
    return null;
  }
}

/**
 * Waits until the process has been (nearly) idle for a moment, so that one
 * phase's backlog (acks, retransmissions) is not measured in the next:
 * below `pct` % of a core over 500 ms, at most `maxMs`. Returns the wait.
 */
export async function quiesce(pid: number, pct = 15, maxMs = 30_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < maxMs) {
    const a = cpuMs(pid);
    await sleep(500);
    const b = cpuMs(pid);
    if (a === null || b === null || ((b - a) / 500) * 100 < pct) break;
  }
  return Math.round(performance.now() - t0);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
