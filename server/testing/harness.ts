import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Writable } from "node:stream";
import type { FastifyInstance, InjectOptions } from "fastify";
import { io as connectIo, type Socket } from "socket.io-client";
import type {
  ClientToServerEvents,
  Domain,
  Entry,
  Hello,
  Message,
  ServerToClientEvents,
  Summary,
  User,
} from "../../shared/protocol/index.js";
import { build, type BuildOptions, type Built } from "../app.js";
import type { Config } from "../config.js";
import { createTestSchema, testEngine, type TestSchema } from "./engines.js";

/** Test helpers: a real app on a temp DATA_DIR, HTTP through inject, real socket.io clients. */

export interface TestServer extends Built {
  dir: string;
  /** Closes the app and removes the data folder. */
  dispose(): Promise<void>;
}

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), "courier-test-"));
}

/** On PostgreSQL, the schema that stands for a test server's data directory (a rebuild on the same dir finds its data). */
const schemas = new Map<string, TestSchema>();

/**
 * A real app on the engine the tests run on (testing/engines.ts): SQLite in a
 * temp DATA_DIR, or a fresh PostgreSQL schema tied to that dir.
 */
export async function startServer(config: Partial<Config> = {}, opts: Omit<BuildOptions, "config"> = {}): Promise<TestServer> {
  const dir = config.dataDir ?? tempDir();
  let databaseUrl = config.databaseUrl ?? null;
  if (testEngine === "postgres" && config.databaseUrl === undefined && !opts.storage) {
    const schema = schemas.get(dir) ?? (await createTestSchema());
    schemas.set(dir, schema);
    databaseUrl = schema.url;
  }
  const built = await build({ ...opts, config: { webDir: path.join(dir, "no-web"), ...config, dataDir: dir, databaseUrl } });
  return {
    ...built,
    dir,
    async dispose() {
      await built.close();
      rmSync(dir, { recursive: true, force: true });
      await schemas.get(dir)?.drop();
      schemas.delete(dir);
    },
  };
}

export interface Session {
  user: User;
  token: string;
}

export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

/** JSON request with a Bearer token (or none). */
export async function call<T = Record<string, unknown>>(
  app: FastifyInstance,
  method: InjectOptions["method"],
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await app.inject({
    method,
    url,
    headers,
    ...(opts.body !== undefined ? { payload: opts.body as InjectOptions["payload"] } : {}),
  });
  const text = res.body;
  return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

let counter = 0;
export async function register(app: FastifyInstance, username = `user${++counter}_${process.pid}`): Promise<Session> {
  const res = await call<Session>(app, "POST", "/api/auth/register", {
    body: { username, password: "correct horse", displayName: username.charAt(0).toUpperCase() + username.slice(1) },
  });
  if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function openDirect(app: FastifyInstance, a: Session, b: Session): Promise<Summary> {
  const res = await call<{ summary: Summary }>(app, "POST", "/api/conversations", { token: a.token, body: { type: "direct", peerId: b.user.id } });
  if (res.status !== 201 && res.status !== 200) throw new Error(`open: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.summary;
}

export async function sendHttp(app: FastifyInstance, s: Session, conversationId: string, body = "hello"): Promise<Message> {
  const res = await call<{ message: Message }>(app, "POST", "/api/messages", {
    token: s.token,
    body: { clientMsgId: randomUUID(), conversationId, kind: "text", body },
  });
  if (res.status !== 201) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.message;
}

export async function pullAll(app: FastifyInstance, s: Session, d: string, after = 0): Promise<{ entries: Entry[]; head: number; reset: boolean }> {
  const res = await call<{ entries: Entry[]; head: number; reset: boolean }>(app, "GET", `/api/sync/${d}?after=${after}&limit=500`, { token: s.token });
  if (res.status !== 200) throw new Error(`pull: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function listen(server: TestServer): Promise<string> {
  await server.app.listen({ port: 0, host: "127.0.0.1" });
  const address = server.app.server.address();
  if (!address || typeof address === "string") throw new Error("no address");
  return `http://127.0.0.1:${address.port}`;
}

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface Client {
  socket: ClientSocket;
  hello: Promise<Hello>;
  /** Every event in arrival order, to check that hello came first. */
  events: { name: string; args: unknown[] }[];
  pushed: Entry[];
}

export function connect(
  url: string,
  auth: Record<string, unknown>,
  headers: Record<string, string> = {},
): Client {
  const socket: ClientSocket = connectIo(url, { transports: ["websocket"], auth, extraHeaders: headers, reconnection: false, forceNew: true });
  const events: Client["events"] = [];
  const pushed: Entry[] = [];
  socket.onAny((name: string, ...args: unknown[]) => {
    events.push({ name, args });
    if (name === "push") pushed.push(...(args[0] as Entry[]));
  });
  const hello = new Promise<Hello>((resolve, reject) => {
    socket.once("hello", resolve);
    socket.once("connect_error", reject);
  });
  // Refusal tests never await hello; don't let its rejection count as unhandled.
  hello.catch(() => undefined);
  return { socket, hello, events, pushed };
}

/** Resolves with the connect_error a refused handshake produces. */
export function refusal(client: Client): Promise<Error & { data?: { code: string } }> {
  return new Promise((resolve, reject) => {
    client.socket.once("connect_error", resolve);
    client.socket.once("connect", () => reject(new Error("handshake was accepted")));
  });
}

export function emitAck<T = Record<string, unknown>>(socket: ClientSocket, event: keyof ClientToServerEvents, payload: unknown): Promise<T> {
  return new Promise((resolve) => {
    // The event map types payloads as unknown and callbacks per event; tests poke any shape.
    (socket.emit as (ev: string, p: unknown, cb: (res: T) => void) => void)(event, payload, resolve);
  });
}

/**
 * Polls until `check` passes or the time runs out. On node:timers/promises,
 * which fake timers leave alone: tests that fake the server's timers can
 * still wait for a state.
 */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await sleep(10);
  }
}

/** Appends `count` generic entries to one of a user's domains and publishes them, as a feature would. */
export async function appendTo(server: TestServer, userId: string, d: Domain, count: number, k = "notice"): Promise<Entry[]> {
  return server.storage.write(async (tx) => tx.log.append(
    Array.from({ length: count }, (_, i) => ({ userId, d, k, data: { n: i } })),
    Date.now(),
  ));
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A logger stream (`startServer({}, { logger: { stream } })`) that keeps every line the app logs, parsed. */
export function captureLogs(): { stream: Writable; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { stream, lines };
}

/**
 * Counts the turns of the event loop (a setImmediate chain) until stopped:
 * `now()` says which turn the code reading it runs in.
 */
export function turnCounter(): { now: () => number; stop: () => void } {
  let turn = 0;
  let ticking = true;
  const tick = () => {
    turn++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  return { now: () => turn, stop: () => (ticking = false) };
}
