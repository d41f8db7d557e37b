import { readFileSync } from "node:fs";

/**
 * What TCP did around a window, read from Linux's /proc/net (null elsewhere):
 * how many connections were opened, how many were not taken in because a
 * listening socket's accept queue was full (the client's SYN is then sent
 * again after 1 s, 3 s, 7 s…), and how long the queue of the server's own
 * listening socket grew: connections the kernel has completed and the server
 * has not accepted yet. Node (libuv ≥ 1.45) accepts one connection per turn
 * of its event loop, so a busy server takes new connections in slowly, and a
 * request on one waits until it is accepted (issue 16, ACCEPT in
 * docs/benchmarks.md).
 *
 * The counters are the machine's, not one process's: the bench runs alone.
 */
export interface TcpCounters {
  /** Connections this machine opened (`Tcp: ActiveOpens`). */
  opened: number;
  /** Connections dropped for a full accept queue (`TcpExt: ListenOverflows`). */
  listenOverflows: number;
  /** SYNs sent again (`TcpExt: TCPSynRetrans`). */
  synRetrans: number;
}

function fields(file: string, prefix: string): Map<string, number> | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  const lines = text.split("\n").filter((l) => l.startsWith(`${prefix}:`));
  if (lines.length < 2) return null;
  const names = lines[0]!.split(/\s+/).slice(1);
  const values = lines[1]!.split(/\s+/).slice(1).map(Number);
  return new Map(names.map((n, i) => [n, values[i] ?? 0]));
}

export function tcpCounters(): TcpCounters | null {
  const tcp = fields("/proc/net/snmp", "Tcp");
  const ext = fields("/proc/net/netstat", "TcpExt");
  if (!tcp || !ext) return null;
  return { opened: tcp.get("ActiveOpens") ?? 0, listenOverflows: ext.get("ListenOverflows") ?? 0, synRetrans: ext.get("TCPSynRetrans") ?? 0 };
}

export function tcpDelta(before: TcpCounters | null, after: TcpCounters | null): TcpCounters | null {
  if (!before || !after) return null;
  return { opened: after.opened - before.opened, listenOverflows: after.listenOverflows - before.listenOverflows, synRetrans: after.synRetrans - before.synRetrans };
}

/** The accept queue of the socket listening on `port` (IPv4 or IPv6), or null when it is not found. */
export function acceptQueue(port: number): number | null {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const [, local, , state, queues] = line.trim().split(/\s+/);
      // 0A: LISTEN; for a listening socket rx_queue is the accept queue's length.
      if (state === "0A" && local?.endsWith(`:${hexPort}`)) return parseInt(queues!.split(":")[1]!, 16);
    }
  }
  return null;
}

/** Samples the accept queue of `port` every `everyMs` until stopped: its longest, and in how many samples it was not empty. */
export function watchAcceptQueue(port: number, everyMs = 100): { stop(): { max: number; nonEmptySamples: number; samples: number } | null } {
  let max = 0;
  let nonEmpty = 0;
  let samples = 0;
  const sample = () => {
    const q = acceptQueue(port);
    if (q === null) return;
    samples++;
    max = Math.max(max, q);
    if (q > 0) nonEmpty++;
  };
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return samples ? { max, nonEmptySamples: nonEmpty, samples } : null;
    },
  };
}
