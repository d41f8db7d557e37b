import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { epochNow, type ParentMessage, type Phase, type WorkerMessage, type WorkerSetup } from "./jobs.js";

const WORKER = fileURLToPath(new URL("../workers/load-worker.ts", import.meta.url));

interface Worker {
  child: ChildProcess;
  next(): Promise<WorkerMessage>;
}

/**
 * Load-generating child processes (`fork` of bench/workers/load-worker.ts
 * with tsx), one per setup. Separate processes rather than worker_threads so
 * that each has its own event loop, heap and GC, its CPU can be read from
 * /proc apart from the orchestrator's, and a client library's global state
 * (socket.io managers, undici's pool) is not shared. Two workers by default
 * on this 2-core machine: more would only add context switches.
 */
export class Fleet {
  private constructor(
    private readonly workers: Worker[],
    readonly ready: Array<Extract<WorkerMessage, { type: "ready" }>>,
  ) {}

  static async start(setups: WorkerSetup[]): Promise<Fleet> {
    const workers = setups.map((setup, index) => {
      const child = fork(WORKER, [], {
        execArgv: ["--import", "tsx", "--max-old-space-size=6144", ...workerProfileArgs()],
        serialization: "advanced",
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      const inbox: WorkerMessage[] = [];
      const waiting: Array<(m: WorkerMessage) => void> = [];
      child.on("message", (m: WorkerMessage) => {
        const w = waiting.shift();
        if (w) w(m);
        else inbox.push(m);
      });
      child.on("exit", (code) => {
        for (const w of waiting.splice(0)) w({ type: "error", error: `load worker exited (${code})` });
      });
      const send = (m: ParentMessage) => child.send(m);
      send({ type: "setup", setup, index });
      const worker: Worker = {
        child,
        next: () => {
          const m = inbox.shift();
          return m ? Promise.resolve(m) : new Promise((resolve) => waiting.push(resolve));
        },
      };
      return worker;
    });
    const fleet = new Fleet(workers, []);
    try {
      for (const w of workers) {
        const m = await w.next();
        if (m.type === "error") throw new Error(m.error);
        if (m.type !== "ready") throw new Error(`unexpected ${m.type} from a load worker`);
        fleet.ready.push(m);
      }
    } catch (error) {
      await fleet.stop();
      throw error;
    }
    return fleet;
  }

  get pids(): number[] {
    return this.workers.map((w) => w.child.pid!);
  }

  /** Runs a phase on every worker (`phaseFor(i)`), all starting at the same moment; returns each worker's result. */
  async run<R>(phaseFor: (index: number, startAt: number) => Phase, leadMs = 300): Promise<R[]> {
    const startAt = epochNow() + leadMs;
    this.workers.forEach((w, i) => w.child.send({ type: "run", phase: phaseFor(i, startAt) } satisfies ParentMessage));
    const out: R[] = [];
    for (const w of this.workers) {
      const m = await w.next();
      if (m.type === "error") throw new Error(m.error);
      if (m.type !== "result") throw new Error(`unexpected ${m.type} from a load worker`);
      out.push(m.result as R);
    }
    return out;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
            const timer = setTimeout(() => w.child.kill("SIGKILL"), 10_000);
            w.child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            try {
              w.child.send({ type: "stop" } satisfies ParentMessage);
            } catch {
              w.child.kill("SIGKILL");
            }
          }),
      ),
    );
  }
}

/**
 * `BENCH_WORKER_CPU_PROF=<dir>`: every load worker writes a V8 CPU profile of
 * its whole life (setup included) into <dir> when it exits, to see where the
 * generator's own time goes (`node --import tsx bench/lib/profile-summary.ts <file>`).
 */
function workerProfileArgs(): string[] {
  const dir = process.env.BENCH_WORKER_CPU_PROF;
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
}

/** The relay (bench/lib/relay-server.ts) in its own process; resolves with its URL once it listens. */
export async function startRelay(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = fork(fileURLToPath(new URL("./relay-server.ts", import.meta.url)), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (m: { port: number }) => resolve(m.port));
    child.once("exit", (code) => reject(new Error(`relay exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
