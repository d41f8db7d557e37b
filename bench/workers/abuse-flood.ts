import { Agent, request as httpRequest } from "node:http";
import { io, type Socket } from "socket.io-client";
import { SOCKET_PATH } from "../../shared/protocol/index.js";
import type { SeededUser } from "../lib/seed.js";

/**
 * The abuse suite's flooding account, in a child process of its own (forked
 * by bench/suites/abuse.ts), so that reading its answers does not hold up the
 * event loop that times the other users' requests. Over IPC: told a
 * `FloodOrder`, it opens its connections and says `"ready"`; told `"go"`, it
 * floods, answers a `FloodResult` once every pull has its answer, and exits.
 */
export interface FloodOrder {
  url: string;
  shape: FloodShape;
  flooder: SeededUser;
  count: number;
  pull: { d: string; after: number; limit: number };
  /** `sockets` shape: device ids × sockets on each; `http` shape: requests at a time. */
  devices: number;
  socketsPerDevice: number;
  httpConcurrency: number;
}

export type FloodShape = "one socket" | "50 sockets" | "http";

export interface FloodResult {
  served: number;
  refused: number;
}

type Ack = { ok: boolean };

/** A connected socket after its hello; a refusal, a close before hello or 20 s without one fails the run with the reason (it waited forever before). */
function socketOf(url: string, user: SeededUser, deviceId: string): Promise<Socket> {
  const socket = io(url, { path: SOCKET_PATH, transports: ["websocket"], auth: { token: user.token, deviceId, protocol: 1 }, reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`device ${deviceId}: no hello within 20 s`)), 20_000);
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        socket.disconnect();
        reject(error);
      } else resolve(socket);
    };
    socket.once("hello", () => settle(null));
    socket.once("connect_error", (error) => settle(error));
    socket.once("close", (close: { reason?: string }) => settle(new Error(`device ${deviceId}: closed before hello (${close?.reason ?? "no reason"})`)));
    socket.once("disconnect", (reason) => settle(new Error(`device ${deviceId}: disconnected before hello (${reason})`)));
  });
}

/** The flooder's `n`th device id (the first is the seeded one). */
const deviceIdOf = (user: SeededUser, n: number) => (n === 0 ? user.deviceId : `${user.deviceId.slice(0, -2)}${String(n).padStart(2, "0")}`);

type Flood = () => Promise<boolean[]>;

async function overHttp(o: FloodOrder): Promise<Flood> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.httpConcurrency });
  const path = `/api/sync/${o.pull.d}?${new URLSearchParams({ after: String(o.pull.after), limit: String(o.pull.limit) })}`;
  const pull = () =>
    new Promise<boolean>((resolve, reject) => {
      const req = httpRequest(new URL(path, o.url), { agent, headers: { authorization: `Bearer ${o.flooder.token}` } }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode === 200));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
  return async () => {
    let started = 0;
    const served: boolean[] = [];
    const worker = async () => {
      while (started < o.count) {
        started++;
        served.push(await pull());
      }
    };
    try {
      await Promise.all(Array.from({ length: o.httpConcurrency }, worker));
    } finally {
      agent.destroy();
    }
    return served;
  };
}

async function overSockets(o: FloodOrder): Promise<Flood> {
  const n = o.shape === "one socket" ? 1 : o.devices * o.socketsPerDevice;
  const sockets = await Promise.all(Array.from({ length: n }, (_, i) => socketOf(o.url, o.flooder, deviceIdOf(o.flooder, i % o.devices))));
  return async () => {
    try {
      const answers = await Promise.all(
        Array.from({ length: o.count }, (_, i) => new Promise<Ack>((resolve) => sockets[i % sockets.length]!.emit("pull", o.pull, resolve))),
      );
      return answers.map((a) => a.ok);
    } finally {
      for (const s of sockets) s.disconnect();
    }
  };
}

const fail = (err: unknown) => {
  console.error(err);
  process.exit(1);
};

process.once("message", (order: FloodOrder) => {
  (order.shape === "http" ? overHttp(order) : overSockets(order)).then((flood) => {
    process.once("message", () => {
      flood().then((answers) => {
        const served = answers.filter(Boolean).length;
        const result: FloodResult = { served, refused: answers.length - served };
        process.send!(result, () => process.exit(0));
      }, fail);
    });
    process.send!("ready");
  }, fail);
});
