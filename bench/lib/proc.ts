import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
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

/** CPU time (user + system, all threads) the process has used so far, in ms; null once it is gone. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / ticksPerSecond();
  } catch {
    return null;
  }
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
  private readonly started = new Map<string, { pid: number; cpu: number }>();
  private t0 = 0;
  private sys0: SystemTimes = { busy: 0, steal: 0, total: 0 };
  private psi0: number | null = null;

  constructor(private readonly pids: Record<string, number | undefined>) {}

  start(): this {
    this.t0 = performance.now();
    this.sys0 = systemTimes();
    this.psi0 = cpuPressureTotal();
    for (const [name, pid] of Object.entries(this.pids)) {
      if (pid === undefined) continue;
      const cpu = cpuMs(pid);
      if (cpu !== null) this.started.set(name, { pid, cpu });
    }
    return this;
  }

  /**
   * Per process: % of one core over the interval. `machineBusyPct`: % of all
   * cores running anything (ours or not); `stealPct`: % of all cores the
   * hypervisor gave to other guests (this machine is a VM); `cpuWaitPct`: %
   * of the time some runnable task waited for a CPU (PSI `some`), i.e. the
   * processes were contending (ours with each other, or with anything else).
   */
  stop(): { elapsedMs: number; processes: Record<string, number>; machineBusyPct: number; stealPct: number; cpuWaitPct: number | null } {
    const elapsedMs = performance.now() - this.t0;
    const processes: Record<string, number> = {};
    for (const [name, { pid, cpu }] of this.started) {
      const now = cpuMs(pid);
      if (now !== null) processes[name] = round1(((now - cpu) / elapsedMs) * 100);
    }
    const sys = systemTimes();
    const span = Math.max(1, sys.total - this.sys0.total);
    const machineBusyPct = round1(((sys.busy - this.sys0.busy) / span) * 100);
    const stealPct = round1(((sys.steal - this.sys0.steal) / span) * 100);
    const psi = cpuPressureTotal();
    const cpuWaitPct = psi !== null && this.psi0 !== null ? round1(((psi - this.psi0) / 1000 / elapsedMs) * 100) : null;
    return { elapsedMs: Math.round(elapsedMs), processes, machineBusyPct, stealPct, cpuWaitPct };
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
