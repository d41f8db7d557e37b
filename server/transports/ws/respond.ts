import type { AckResult, ErrorInfo } from "../../../shared/protocol/index.js";
import { type Mapped, mapError, worthAnErrorLog } from "../../http/errors.js";

interface Log {
  error(obj: object, msg: string): void;
}

/**
 * Runs a request event and answers its acknowledgement; `onError` hears the
 * code of every refusal (the metrics' errors by code). Clients are
 * untrusted: the callback may be missing or not a function, and the payload
 * anything. Nothing here may throw into socket.io, or the process dies.
 */
export function respond<T extends object>(cb: unknown, work: () => Promise<T>, log: Log, onError?: (code: string) => void): void {
  const reply = (res: AckResult<T>) => {
    if (typeof cb !== "function") return;
    try {
      cb(res);
    } catch (err) {
      log.error({ err }, "acknowledgement failed");
    }
  };
  let pending: Promise<T>;
  try {
    pending = work();
  } catch (err) {
    pending = Promise.reject(err);
  }
  pending.then(
    (result) => reply({ ok: true, ...result }),
    (err: unknown) => {
      const mapped = mapError(err);
      if (worthAnErrorLog(mapped)) log.error({ err }, "socket request failed");
      const { error } = socketErrorOf(mapped);
      onError?.(error.code);
      reply({ ok: false, error });
    },
  );
}

/** An error as a socket answer carries it (an ack's `error`, a refused handshake's `data`): rate_limited says how long to wait, as HTTP's Retry-After does. */
export function socketError(err: unknown): { status: number; error: ErrorInfo & { retryAfterMs?: number } } {
  return socketErrorOf(mapError(err));
}

function socketErrorOf(mapped: Mapped): { status: number; error: ErrorInfo & { retryAfterMs?: number } } {
  return { status: mapped.status, error: mapped.retryAfterMs === undefined ? mapped.info : { ...mapped.info, retryAfterMs: mapped.retryAfterMs } };
}

/** `emit("send", cb)` with no payload puts the callback first; accept that too. */
export function splitArgs(payload: unknown, cb: unknown): [unknown, unknown] {
  return typeof payload === "function" && cb === undefined ? [undefined, payload] : [payload, cb];
}
