import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";

/**
 * Process and machine figures from /proc (Linux), read from outside the
 * process, so the server, the relay and the load workers are measured the
 * same way and none of them needs code for it.
 */

let clockTicks: number | null = null;
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** The fields of /proc/<pid>/stat after the command name (which may contain spaces): [0] state, [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** CPU time (user + system, all threads) the process has used so far, in ms; null once it is gone. */
export function cpuMs(pid: number): number | null {
  const fields = statFields(pid);
  if (!fields) return null;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
}

/**
 * CPU time of a process and its children (e.g. a PostgreSQL postmaster and
 * its backends), in ms: its own, its reaped children's (cutime/cstime), and
 * each live child's with that child's reaped children. A child that exits
 * within a window moves from the last term to the second, so differences
 * over a window stay right. Null once the process is gone.
 */
export function treeCpuMs(pid: number): number | null {
  const own = statFields(pid);
  if (!own) return null;
  const all = (f: string[]) => Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  let ticks = all(own);
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(Number(name));
    if (fields && Number(fields[1]) === pid) ticks += all(fields);
  }
  return (ticks * 1000) / ticksPerSecond();
}

/**
 * Write system calls the process made so far (`syscw` of /proc/PID/io:
 * write, writev, pwrite…, to sockets and files alike); null if unreadable.
 */
export function writeCalls(pid: number): number | null {
  try {
    const match = /^syscw: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** What CpuMeter measures: one process, or a process with its children. */
export type CpuTarget = number | { tree: number } | undefined;

function targetCpuMs(target: number | { tree: number }): number | null {
  return typeof target === "number" ? cpuMs(target) : treeCpuMs(target.tree);
}

/** Resident set size in bytes; null once the process is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The open-file-descriptor limit of the process. */
export function fdLimit(pid: number | "self" = "self"): { soft: number; hard: number } | null {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const parts = line?.split(/\s+/) ?? [];
    return { soft: Number(parts[3]), hard: Number(parts[4]) };
  } catch {
    return null;
  }
}

interface SystemTimes {
  busy: number;
  steal: number;
  total: number;
}

/** From the first line of /proc/stat: user nice system idle iowait irq softirq steal guest guest_nice. */
function systemTimes(): SystemTimes {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const steal = f[7] ?? 0;
  // guest time is already counted in user
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle - steal, steal, total };
}

/** Cumulative µs some task waited for a CPU (Linux PSI), or null without /proc/pressure. */
function cpuPressureTotal(): number | null {
  try {
    const match = /some .*total=(\d+)/.exec(readFileSync("/proc/pressure/cpu", "utf8"));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** The kernel's pressure averages (% of time some task was stalled waiting for the resource). */
export function pressure(): Record<string, string> | null {
  try {
    const out: Record<string, string> = {};
    for (const r of ["cpu", "io", "memory"]) out[r] = readFileSync(`/proc/pressure/${r}`, "utf8").split("\n")[0]!.replace(/ total=\d+/, "");
    return out;
  } catch {
    return null;
  }
}

/** Measures CPU use of named processes, and of the whole machine, between start() and stop(). */
export class CpuMeter {
  private readonly started = new Map<string, { target: number | { tree: number }; cpu: number; writes: number | null }>();
  private t0 = 0;
  private sys0: SystemTimes = { busy: 0, steal: 0, total: 0 };
  private psi0: number | null = null;

  constructor(private readonly pids: Record<string, CpuTarget>) {}

  start(): this {
    this.t0 = performance.now();
    this.sys0 = systemTimes();
    this.psi0 = cpuPressureTotal();
    for (const [name, target] of Object.entries(this.pids)) {
      if (target === undefined) continue;
      const cpu = targetCpuMs(target);
      if (cpu !== null) this.started.set(name, { target, cpu, writes: typeof target === "number" ? writeCalls(target) : null });
    }
    return this;
  }

  /**
   * Per process: % of one core over the interval. `machineBusyPct`: % of all
   * cores running anything (ours or not); `stealPct`: % of all cores the
   * hypervisor gave to other guests (this machine is a VM); `cpuWaitPct`: %
   * of the time some runnable task waited for a CPU (PSI `some`), i.e. the
   * processes were contending (ours with each other, or with anything else).
   * `writeCalls`: per single process, its write system calls over the interval.
   */
  stop(): { elapsedMs: number; processes: Record<string, number>; writeCalls: Record<string, number>; machineBusyPct: number; stealPct: number; cpuWaitPct: number | null } {
    const elapsedMs = performance.now() - this.t0;
    const processes: Record<string, number> = {};
    const writes: Record<string, number> = {};
    for (const [name, { target, cpu, writes: before }] of this.started) {
      const now = targetCpuMs(target);
      if (now !== null) processes[name] = round1(((now - cpu) / elapsedMs) * 100);
      const after = typeof target === "number" && before !== null ? writeCalls(target) : null;
      if (after !== null && before !== null) writes[name] = after - before;
    }
    const sys = systemTimes();
    const span = Math.max(1, sys.total - this.sys0.total);
    const machineBusyPct = round1(((sys.busy - this.sys0.busy) / span) * 100);
    const stealPct = round1(((sys.steal - this.sys0.steal) / span) * 100);
    const psi = cpuPressureTotal();
    const cpuWaitPct = psi !== null && this.psi0 !== null ? round1(((psi - this.psi0) / 1000 / elapsedMs) * 100) : null;
    return { elapsedMs: Math.round(elapsedMs), processes, writeCalls: writes, machineBusyPct, stealPct, cpuWaitPct };
  }
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  node: string;
  platform: string;
  loadAvg: number[];
  fdLimit: { soft: number; hard: number } | null;
  pressure: Record<string, string> | null;
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? "unknown";
  try {
    cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpuModel;
  } catch {
    // not Linux
  }
  return {
    cpuModel,
    cores: os.cpus().length,
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    loadAvg: os.loadavg().map((n) => Math.round(n * 100) / 100),
    fdLimit: fdLimit(),
    pressure: pressure(),
  };
}
