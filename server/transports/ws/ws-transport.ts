import type { Server as HttpServer } from "node:http";
import type { Socket as NetSocket } from "node:net";
import { Server, type Socket } from "socket.io";
import { Adapter } from "socket.io-adapter";
import {
  type ClientToServerEvents,
  type EphemeralFrame,
  type Entry,
  FRAME_LIMIT_BYTES,
  parseInput,
  pingRequestSchema,
  type ServerToClientEvents,
  SOCKET_PATH,
  type StreamClose,
} from "../../../shared/protocol/index.js";
import { sessionEnded, sessionRefusal } from "../../auth/authenticate.js";
import type { Context } from "../../context.js";
import { pullCost } from "../../http/in-flight-limit.js";
import { recall } from "../../messages/lifecycle.js";
import { typing } from "../../presence/typing.js";
import { send } from "../../messages/send.js";
import { HelloGate } from "../../sync/hello-gate.js";
import type { CloseReason, Connection } from "../../sync/hub.js";
import { ack, pull } from "../../sync/service.js";
import { helloFor } from "../admit.js";
import { allowRequest, handshake, type SocketData } from "./handshake.js";
import { type SocketClient, SocketEvents } from "./events.js";
import { CourierWebSocketServer, uncorkFully } from "./ws-engine.js";

// socket.io's own server-to-server event map; we use none.
type NoEvents = Record<string, never>;
export type CourierIo = Server<ClientToServerEvents, ServerToClientEvents, NoEvents, SocketData>;
type CourierSocket = Socket<ClientToServerEvents, ServerToClientEvents, NoEvents, SocketData>;

interface Log {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * The WebSocket transport: socket.io on the app's HTTP server, websocket
 * only. A connection's life:
 *
 *   handshake (origin, auth, device) ──▶ registered with hub (pushes queue)
 *     ──▶ heads read ──▶ hello ──▶ queue flushed (v > heads) ──▶ live
 *     ──▶ disconnect / logout / device removed / shutdown ──▶ unregistered
 *
 * The server ending a socket on purpose first emits `close {reason,
 * retryAfterMs?}` (extension). Liveness: socket.io pings every HEARTBEAT_MS
 * and drops a socket whose pong is HEARTBEAT_MS late (dead after two
 * intervals, counted); clients ping with the `heartbeat` event.
 */
/** How long a reading of the session vouches for a socket's requests (ms); ended sessions close sockets through the hub meanwhile. */
export const SESSION_RECHECK_MS = 5000;

export function attachWebSocket(ctx: Context, server: HttpServer, log: Log): CourierIo {
  const io: CourierIo = new Server(server, {
    path: SOCKET_PATH,
    transports: ["websocket"],
    maxHttpBufferSize: FRAME_LIMIT_BYTES,
    serveClient: false,
    allowRequest: allowRequest(ctx),
    pingInterval: ctx.config.heartbeatMs,
    pingTimeout: ctx.config.heartbeatMs,
    adapter: NoRooms,
    wsEngine: CourierWebSocketServer,
  });
  // Every request event goes through `events` (events.ts): rate limited per address and user (acks and
  // heartbeats per user on a budget of their own: pushes cause them), pulls capped in flight per socket
  // and, with HTTP pulls and snapshots, per user (ctx.reads). Declared once; each socket gets the same listeners.
  const events = new SocketEvents<WsConnection>(ctx, log);
  events.on("send", async (p, c) => ({ message: (await send(ctx, c.userId, p, c.deviceId)).message }));
  events.on("recall", async (p, c) => ({ message: await recall(ctx, c.userId, p) }));
  events.on("pull", (p, c) => pull(ctx, c.userId, c.deviceId, p), { concurrency: ctx.config.connectionLimits.pullsInFlight, read: (p) => pullCost((p as { limit?: unknown } | null)?.limit) });
  events.on("ack", (p, c) => ack(ctx, c.userId, c.deviceId, p, "ws"), { budget: "upkeep" });
  events.on(
    "heartbeat",
    async (p, c) => {
      parseInput(pingRequestSchema, p ?? {}, "heartbeat");
      ctx.hub.touch(c.userId, c.deviceId);
      return { at: ctx.clock() };
    },
    { budget: "upkeep" },
  );
  events.on("typing", async (p, c) => {
    await typing(ctx, c.userId, p);
    return {};
  });
  const disconnected = function (this: CourierSocket, reason: string) {
    // The client stopped answering socket.io's pings: a half-open link, found dead.
    if (reason === "ping timeout") ctx.delivery.deadConnections.ws++;
    const conn = events.clientOf(this);
    if (conn) ctx.hub.remove(conn);
  };
  io.use(handshake(ctx));
  io.on("connection", (socket) => open(ctx, socket, events, disconnected, log));
  return io;
}

/**
 * socket.io's in-memory adapter without rooms. Courier routes every push
 * itself (the hub, and Redis across processes: docs/cluster.md) and never
 * broadcasts through socket.io, yet the default adapter puts each socket in
 * a room named by its id: two Map entries and two Sets a socket, kept for
 * its life (0.4 of 10,000 idle sockets' 12.2 KB of heap each; issue 16,
 * docs/benchmarks.md NOROOMS). Here a socket joins no room and
 * `socket.rooms` is empty; what would go through rooms (`io.emit`,
 * `io.to(…)`, `io.fetchSockets()`, `io.allSockets()`,
 * `io.disconnectSockets()`) throws rather than silently reaching no one.
 * The namespace's own `sockets` map lists every socket. socket.io's
 * connection state recovery sends every emit through `broadcast` and needs
 * its session-aware adapter, so it cannot be turned on with this one: the
 * constructor refuses.
 */
class NoRooms extends Adapter {
  constructor(nsp: ConstructorParameters<typeof Adapter>[0]) {
    super(nsp);
    if ((nsp as { server?: { opts?: { connectionStateRecovery?: unknown } } }).server?.opts?.connectionStateRecovery) {
      throw new Error("socket.io's connectionStateRecovery needs its own adapter; NoRooms cannot serve it");
    }
  }
  override addAll(): void {}
  override del(): void {}
  override delAll(): void {}
}
// Everything that reaches sockets through rooms.
for (const method of ["broadcast", "broadcastWithAck", "fetchSockets", "addSockets", "delSockets", "disconnectSockets", "sockets"] as const) {
  NoRooms.prototype[method] = () => {
    throw noRooms();
  };
}

function noRooms(): Error {
  return new Error("socket.io rooms are off in Courier (NoRooms): push through the hub, or walk io.of('/').sockets");
}

/**
 * One socket's connection, as the hub and the request events see it. A
 * class, not closures: 10,000 idle sockets each held ~30 functions here
 * (about 300 bytes each, with the `name` tsx gives every one), ~9 KB a
 * socket (issue 16).
 */
class WsConnection implements Connection, SocketClient {
  readonly id: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly sessionId: string;
  readonly transport = "ws" as const;
  readonly addressKey: string | null;
  private readonly tokenHash: string;
  private readonly gate: HelloGate;
  /** Ephemeral frames (typing) go out once hello has: before it the client is not listening yet. */
  private greeted = false;
  /** Until when the last reading of the session vouches for requests (see `authorized`). */
  private aliveUntil = 0;

  constructor(
    private readonly ctx: Context,
    private readonly socket: CourierSocket,
  ) {
    const { userId, deviceId, sessionId, tokenHash, addressKey } = socket.data;
    this.id = socket.id;
    this.userId = userId;
    this.deviceId = deviceId;
    this.sessionId = sessionId;
    this.tokenHash = tokenHash;
    this.addressKey = addressKey;
    this.gate = new HelloGate((entries) => socket.emit("push", entries));
  }

  push(entries: Entry[]): void {
    this.gate.push(entries);
  }

  repush(entries: Entry[]): number {
    return this.gate.repush(entries);
  }

  close(reason: CloseReason, retryAfterMs?: number): void {
    const info: StreamClose = retryAfterMs === undefined ? { reason } : { reason, retryAfterMs };
    // The engine sends what is buffered before it closes, so the event arrives first.
    this.socket.emit("close", info);
    this.socket.disconnect(true);
  }

  ephemeral({ conversationId, userId }: EphemeralFrame): void {
    if (this.greeted) this.socket.emit("typing", { conversationId, userId });
  }

  end(): void {
    this.ctx.hub.remove(this);
    this.socket.disconnect(true);
  }

  /**
   * Logout and device removal close sockets through the hub (on every
   * process), but a session can also end without passing through it (expiry,
   * or a revocation racing the handshake: checked again after `hub.add`
   * in `open`). So a request re-reads the session (one indexed hash lookup) when
   * the last reading is older than SESSION_RECHECK_MS or the session's expiry
   * has passed, not before every request (it was 14 % of the server's time
   * with 10,000 idle sockets: heartbeats). A dead session answers
   * `unauthorized`, then the socket is closed once that answer is on its way.
   */
  async sessionAlive(): Promise<boolean> {
    const { ctx, tokenHash } = this;
    const now = ctx.clock();
    const found = await ctx.storage.read(async (r) => r.sessions.find(tokenHash, now));
    const alive = found?.sessionId === this.sessionId;
    this.aliveUntil = alive ? Math.min(found.expiresAt, now + SESSION_RECHECK_MS) : 0;
    return alive;
  }

  async authorized(): Promise<void> {
    if (this.ctx.clock() < this.aliveUntil || (await this.sessionAlive())) return;
    // Read before the close is scheduled: the answer must go out before the socket closes.
    const refusal = await sessionRefusal(this.ctx, this.tokenHash, sessionEnded);
    setImmediate(() => {
      if (this.ctx.hub.closeWhere((c) => c === this, "logout") === 0) this.socket.disconnect(true);
    });
    throw refusal;
  }

  /** Reads heads and says hello (then queued pushes flow), unless the session ended meanwhile. */
  async greet(): Promise<void> {
    const { ctx, userId, deviceId } = this;
    // A logout that ran between the handshake's session lookup and `hub.add`
    // found nothing to close; checking again now that the connection is
    // registered closes that gap (a later logout finds it in the hub).
    if (!(await this.sessionAlive())) {
      this.end();
      return;
    }
    // Entries committed on another process from here on reach this one before heads are read.
    await ctx.hub.ready(userId);
    const heads = await ctx.sync.heads(userId);
    if (!this.socket.connected) return;
    ctx.hub.told(this, heads);
    this.socket.emit("hello", helloFor(ctx, userId, deviceId, heads, "ws"));
    this.greeted = true;
    this.gate.open(heads);
  }
}

function open(ctx: Context, socket: CourierSocket, events: SocketEvents<WsConnection>, disconnected: (this: CourierSocket, reason: string) => void, log: Log): void {
  const conn = new WsConnection(ctx, socket);
  // Handlers first, synchronously: events that arrive during registration must not be lost.
  events.attach(socket, conn);
  socket.on("disconnect", disconnected);
  ctx.hub.add(conn);
  conn.greet().catch((err: unknown) => {
    log.error({ err }, "hello failed");
    conn.end();
  });
}

/**
 * Ends every socket, then the engine; the HTTP server itself is closed by Fastify.
 *
 * `tell` runs first: the hub's `close {reason: "shutdown", retryAfterMs}` to
 * each connection, which spreads the reconnects. A socket ends only once
 * what is buffered for it has been written, so for a client reading slowly
 * (a phone on a weak link, a backlog of pushes) that frame can sit behind
 * megabytes; the engine's own close discards it, and the process's exit
 * loses what its sockets still hold. So the stop waits until each client's
 * connection has closed (the client read everything and answered the
 * WebSocket close), at most `drainMs`, and only then cuts what is left:
 * one client that stopped reading must not hold the stop hostage.
 */
export async function closeWebSocket(io: CourierIo, opts: { tell?: () => void; drainMs: number }): Promise<void> {
  // The TCP connection under each engine client, taken before anything closes: an engine socket leaves
  // `clients` when its buffer is handed to the connection, not when the client has it.
  const wires = engineWires(io);
  opts.tell?.();
  // What io.disconnectSockets(true) does through rooms (NoRooms keeps none).
  for (const socket of [...io.of("/").sockets.values()]) socket.disconnect(true);
  await allClosed(wires, opts.drainMs);
  // Those opened during the wait too (their handshakes refused as `unavailable`): none may outlive the stop.
  const left = [...wires, ...engineWires(io)];
  io.engine.close();
  // A connection still open has not read its frames in time. Cut it: the WebSocket close would wait for its
  // answer (30 s), and the HTTP server's close waits for every connection, upgraded ones too (which its
  // closeAllConnections no longer sees).
  for (const wire of left) {
    // The engine's close frames of this turn, corked (ws-engine.ts): written, as far as the wire takes them, before the cut.
    uncorkFully(wire);
    wire.destroy();
  }
}

/** The TCP connection of each of engine.io's `clients` (documented in its README; `protected` only in its type declarations). */
function engineWires(io: CourierIo): NetSocket[] {
  const { clients } = io.engine as unknown as { clients: Record<string, { request: { socket: NetSocket } }> };
  return Object.values(clients).map((client) => client.request.socket);
}

function allClosed(wires: NetSocket[], withinMs: number): Promise<void> {
  const open = wires.filter((wire) => !wire.destroyed);
  if (open.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let left = open.length;
    const timer = setTimeout(resolve, withinMs);
    const closed = () => {
      if (--left > 0) return;
      clearTimeout(timer);
      resolve();
    };
    for (const wire of open) wire.once("close", closed);
  });
}
