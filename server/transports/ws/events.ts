import type { Socket } from "socket.io";
import type { ClientToServerEvents } from "../../../shared/protocol/index.js";
import type { Context } from "../../context.js";
import { InFlightLimit } from "../../http/in-flight-limit.js";
import type { UserBudget } from "../../http/rate-limit.js";
import { respond, splitArgs } from "./respond.js";

interface Log {
  error(obj: object, msg: string): void;
}

/** Marks listeners registered through `SocketEvents`: a test holds every request event to it. */
export const GUARDED = Symbol("courier.socket-event-guarded");

export interface EventOptions {
  /** At most this many of this event in flight on the socket; more are refused at once. */
  concurrency?: number;
  /**
   * `upkeep`: what the client sends because of what it was sent (acks of
   * pushes) or to keep the link alive (heartbeats). Others' messages cause
   * those, so they spend the user's upkeep budget (`upkeepPerUser`), never
   * the requests budget of the user or of the address. Default `requests`.
   */
  budget?: UserBudget;
  /**
   * A read of the log, asking for this many entries of the payload
   * (`pullCost`): one of the user's reads on this process (`ctx.reads`,
   * shared by every socket of the user, HTTP pulls and snapshots), held
   * before any token is taken and run in its turn.
   */
  read?: (payload: unknown) => number;
}

/** Who is behind a socket, for its limits (from its handshake), and the check of its session. */
export interface SocketClient {
  userId: string;
  /** Key of the per-address limit; null for an exempt client (direct loopback). */
  addressKey: string | null;
  /** Resolves if the socket's session still vouches for a request; rejects (`unauthorized`) otherwise. */
  authorized(): Promise<void>;
}

type Listener = (this: Socket, payload: unknown, cb: unknown) => void;

/**
 * The one door of every request event on a socket (`send`, `pull`, `ack`,
 * `heartbeat`, and any added later): declare them once per server with
 * `on`, then `attach` gives each socket those listeners; never `socket.on`.
 * For each event, in order of cost:
 *
 *   in-flight cap (sync, per socket) ──▶ reads: the user's cap (sync, per
 *   process, shared with HTTP) ──▶ per-address token (`requestsPerIp`,
 *   shared with HTTP) ──▶ per-user token (`requestsPerUser`, shared with
 *   HTTP and across processes) ──▶ `authorized` (the session) ──▶ reads:
 *   their turn (`ReadLimits`) ──▶ work
 *
 * Upkeep events (`ack`, `heartbeat`) take one token of `upkeepPerUser`
 * instead of both. A refusal is the ack `{ok: false, error: {code:
 * "rate_limited", message, retryAfterMs}}`; a refused event does no other work.
 *
 * Memory: a listener is one function for every socket (socket.io calls it
 * with the socket as `this`; its client is found in a WeakMap), and an
 * in-flight cap is one per event keyed by socket id, so an idle socket
 * holds no closure or map of its own here (10,000 idle sockets, issue 16).
 */
export class SocketEvents<C extends SocketClient> {
  private readonly listeners: Array<[string, Listener]> = [];
  private readonly clients = new WeakMap<Socket, C>();

  constructor(
    private readonly ctx: Context,
    private readonly log: Log,
  ) {}

  /** Declares a request event: every socket attached afterwards answers it with `work`. */
  on<T extends object>(event: keyof ClientToServerEvents & string, work: (payload: unknown, client: C) => Promise<T>, opts: EventOptions = {}): void {
    const { ctx, log, clients } = this;
    const cap = opts.concurrency === undefined ? null : new InFlightLimit(opts.concurrency, `${event}s`);
    const { read, budget = "requests" } = opts;
    const countError = (code: string) => ctx.metrics.error(code);
    const paid = async (client: C): Promise<void> => {
      if (budget === "requests" && client.addressKey !== null) await ctx.limits.requestsPerIp.enforce(client.addressKey, "requests from this address");
      await ctx.limits.enforceUser(client.userId, budget);
      await client.authorized();
    };
    const limited = (p: unknown, client: C): Promise<T> =>
      read ? ctx.reads.run(client.userId, read(p), () => work(p, client), () => paid(client)) : paid(client).then(() => work(p, client));
    const listener: Listener = function (payload, cb) {
      const client = clients.get(this);
      const [p, c] = splitArgs(payload, cb);
      if (client === undefined) return; // not attached: cannot happen (attach registers the listener)
      const socketId = this.id;
      respond(c, () => (cap ? cap.run(socketId, () => limited(p, client)) : limited(p, client)), log, countError);
    };
    (listener as { [GUARDED]?: true })[GUARDED] = true;
    this.listeners.push([event, listener]);
  }

  /** Gives the socket every declared event's listener, answering for `client`. Call synchronously on connection: events arriving meanwhile are not lost. */
  attach(socket: Socket, client: C): void {
    this.clients.set(socket, client);
    // socket.io types `on` per event name; ours are all (payload, cb) with both unknown.
    const emitter = socket as unknown as { on(event: string, listener: Listener): void };
    for (const [event, listener] of this.listeners) emitter.on(event, listener);
  }

  /** The client attached to this socket, if any. */
  clientOf(socket: Socket): C | undefined {
    return this.clients.get(socket);
  }
}
