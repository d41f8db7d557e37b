import type { Socket } from "socket.io";
import type { ClientToServerEvents } from "../../../shared/protocol/index.js";
import type { Context } from "../../context.js";
import { InFlightLimit } from "../../http/in-flight-limit.js";
import type { UserBudget } from "../../http/rate-limit.js";
import { respond, splitArgs } from "./respond.js";

interface Log {
  error(obj: object, msg: string): void;
}

/** Marks listeners registered through `socketEvents`: a test holds every request event to it. */
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

/** Who is behind a socket, for its limits (from its handshake). */
export interface SocketClient {
  userId: string;
  /** Key of the per-address limit; null for an exempt client (direct loopback). */
  addressKey: string | null;
}

/**
 * The one door of every request event on a socket (`send`, `pull`, `ack`,
 * `heartbeat`, and any added later): register them with the `on` this
 * returns, never with `socket.on`. For each event, in order of cost:
 *
 *   in-flight cap (sync, per socket) ──▶ reads: the user's cap (sync, per
 *   process, shared with HTTP) ──▶ per-address token (`requestsPerIp`,
 *   shared with HTTP) ──▶ per-user token (`requestsPerUser`, shared with
 *   HTTP and across processes) ──▶ `check` (the session) ──▶ reads: their
 *   turn (`ReadLimits`) ──▶ work
 *
 * Upkeep events (`ack`, `heartbeat`) take one token of `upkeepPerUser`
 * instead of both. A refusal is the ack `{ok: false, error: {code:
 * "rate_limited", message, retryAfterMs}}`; a refused event does no other work.
 */
export function socketEvents(ctx: Context, socket: Socket, client: SocketClient, check: () => Promise<void>, log: Log) {
  const inFlight = new Map<string, InFlightLimit>();
  const { limits } = ctx;
  const countError = (code: string) => ctx.metrics.error(code);
  const charge = async (budget: UserBudget = "requests"): Promise<void> => {
    if (budget === "requests" && client.addressKey !== null) await limits.requestsPerIp.enforce(client.addressKey, "requests from this address");
    await limits.enforceUser(client.userId, budget);
  };
  return function on<T extends object>(event: keyof ClientToServerEvents & string, work: (payload: unknown) => Promise<T>, opts: EventOptions = {}): void {
    if (opts.concurrency !== undefined) inFlight.set(event, new InFlightLimit(opts.concurrency, `${event}s`));
    const paid = async (): Promise<void> => {
      await charge(opts.budget);
      await check();
    };
    const { read } = opts;
    const limited = (p: unknown): Promise<T> =>
      read ? ctx.reads.run(client.userId, read(p), () => work(p), paid) : paid().then(() => work(p));
    const listener = (payload: unknown, cb: unknown) => {
      const [p, c] = splitArgs(payload, cb);
      const cap = inFlight.get(event);
      respond(c, () => (cap ? cap.run(socket.id, () => limited(p)) : limited(p)), log, countError);
    };
    (listener as { [GUARDED]?: true })[GUARDED] = true;
    // socket.io types `on` per event name; ours are all (payload, cb) with both unknown.
    (socket as unknown as { on(event: string, listener: (payload: unknown, cb: unknown) => void): void }).on(event, listener);
  };
}
