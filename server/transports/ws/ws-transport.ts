import type { Server as HttpServer } from "node:http";
import { Server, type Socket } from "socket.io";
import {
  type ClientToServerEvents,
  CourierError,
  FRAME_LIMIT_BYTES,
  parseInput,
  pingRequestSchema,
  type ServerToClientEvents,
  SOCKET_PATH,
  type StreamClose,
} from "../../../shared/protocol/index.js";
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
import { socketEvents } from "./events.js";

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
  });
  io.use(handshake(ctx));
  io.on("connection", (socket) => open(ctx, socket, log));
  return io;
}

function open(ctx: Context, socket: CourierSocket, log: Log): void {
  const { userId, deviceId, sessionId, tokenHash, addressKey } = socket.data;
  const gate = new HelloGate((entries) => socket.emit("push", entries));
  /** Ephemeral frames (typing) go out once hello has: before it the client is not listening yet. */
  let greeted = false;
  const closeWith = (reason: CloseReason, retryAfterMs?: number) => {
    const info: StreamClose = retryAfterMs === undefined ? { reason } : { reason, retryAfterMs };
    // The engine sends what is buffered before it closes, so the event arrives first.
    socket.emit("close", info);
    socket.disconnect(true);
  };
  const conn: Connection = {
    id: socket.id,
    userId,
    deviceId,
    sessionId,
    transport: "ws",
    push: (entries) => gate.push(entries),
    repush: (entries) => gate.repush(entries),
    close: closeWith,
    ephemeral: ({ conversationId, userId: who }) => {
      if (greeted) socket.emit("typing", { conversationId, userId: who });
    },
  };
  const end = () => {
    ctx.hub.remove(conn);
    socket.disconnect(true);
  };

  /**
   * Logout and device removal close sockets through the hub (on every
   * process), but a session can also end without passing through it (expiry,
   * or a revocation racing the handshake: checked again after `hub.add`
   * below). So a request re-reads the session (one indexed hash lookup) when
   * the last reading is older than SESSION_RECHECK_MS or the session's expiry
   * has passed, not before every request (it was 14 % of the server's time
   * with 10,000 idle sockets: heartbeats). A dead session answers
   * `unauthorized`, then the socket is closed once that answer is on its way.
   */
  let aliveUntil = 0;
  const sessionAlive = async () => {
    const now = ctx.clock();
    const found = await ctx.storage.read(async (r) => r.sessions.find(tokenHash, now));
    const alive = found?.sessionId === sessionId;
    aliveUntil = alive ? Math.min(found.expiresAt, now + SESSION_RECHECK_MS) : 0;
    return alive;
  };
  const authorized = async (): Promise<void> => {
    if (ctx.clock() < aliveUntil || (await sessionAlive())) return;
    setImmediate(() => {
      if (ctx.hub.closeWhere((c) => c === conn, "logout") === 0) socket.disconnect(true);
    });
    throw CourierError.unauthorized("Your session has ended; sign in again.");
  };

  // Handlers first, synchronously: events that arrive during registration must not be lost.
  // Every request event goes through `on` (events.ts): rate limited per address and user (acks and
  // heartbeats per user on a budget of their own: pushes cause them), pulls capped in flight per socket
  // and, with HTTP pulls and snapshots, per user (ctx.reads).
  const on = socketEvents(ctx, socket, { userId, addressKey }, authorized, log);
  on("send", async (p) => ({ message: (await send(ctx, userId, p, deviceId)).message }));
  on("recall", async (p) => ({ message: await recall(ctx, userId, p) }));
  on("pull", (p) => pull(ctx, userId, deviceId, p), { concurrency: ctx.config.connectionLimits.pullsInFlight, read: (p) => pullCost((p as { limit?: unknown } | null)?.limit) });
  on("ack", (p) => ack(ctx, userId, deviceId, p, "ws"), { budget: "upkeep" });
  on(
    "heartbeat",
    async (p) => {
      parseInput(pingRequestSchema, p ?? {}, "heartbeat");
      ctx.hub.touch(userId, deviceId);
      return { at: ctx.clock() };
    },
    { budget: "upkeep" },
  );
  on("typing", async (p) => {
    await typing(ctx, userId, p);
    return {};
  });
  socket.on("disconnect", (reason) => {
    // The client stopped answering socket.io's pings: a half-open link, found dead.
    if (reason === "ping timeout") ctx.delivery.deadConnections.ws++;
    ctx.hub.remove(conn);
  });

  ctx.hub.add(conn);
  // A logout that ran between the handshake's session lookup and `hub.add`
  // found nothing to close; checking again now that the connection is
  // registered closes that gap (a later logout finds it in the hub).
  (async () => {
    if (!(await sessionAlive())) {
      end();
      return;
    }
    // Entries committed on another process from here on reach this one before heads are read.
    await ctx.hub.ready(userId);
    const heads = await ctx.sync.heads(userId);
    if (!socket.connected) return;
    ctx.hub.told(conn, heads);
    socket.emit("hello", helloFor(ctx, userId, deviceId, heads, "ws"));
    greeted = true;
    gate.open(heads);
  })().catch((err: unknown) => {
    log.error({ err }, "hello failed");
    end();
  });
}

/** Ends every socket and the engine; the HTTP server itself is closed by Fastify. */
export function closeWebSocket(io: CourierIo): void {
  io.disconnectSockets(true);
  io.engine.close();
}
