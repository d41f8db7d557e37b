import { z } from "zod";
import type { AckResult } from "./errors.js";
import type { Entry } from "./entries.js";
import type { Message } from "./messages.js";
import type { Hello, PullResponse } from "./sync.js";
import type { StreamClose } from "./transports.js";
import type { TypingFrame } from "./presence.js";
import { uuidSchema } from "./common.js";
import { lazy } from "./lazy.js";

/** socket.io handshake `auth`. With a cookie session `token` may be omitted. */
export const socketAuthSchema = lazy(() => z.object({
  token: z.string().min(1).max(200).optional(),
  deviceId: uuidSchema,
  protocol: z.literal(1),
}));
export type SocketAuth = z.infer<typeof socketAuthSchema>;

/**
 * socket.io event maps, declared once for `Server<ClientToServer, ServerToClient>`
 * and the client `Socket<ServerToClient, ClientToServer>`. Payloads are typed
 * `unknown` on the way in because the server validates them itself.
 */
export interface ClientToServerEvents {
  send: (payload: unknown, cb: (res: AckResult<{ message: Message }>) => void) => void;
  /** extension (Message lifecycle): payload as `RecallRequest`, answers the tombstone. */
  recall: (payload: unknown, cb: (res: AckResult<{ message: Message }>) => void) => void;
  pull: (payload: unknown, cb: (res: AckResult<PullResponse>) => void) => void;
  ack: (payload: unknown, cb?: (res: AckResult<object>) => void) => void;
  /** extension: an application-level heartbeat; payload as `PingRequest`, answers `{ok: true, at}`. */
  heartbeat: (payload: unknown, cb: (res: AckResult<{ at: number }>) => void) => void;
  /** extension (Presence): payload as `TypingRequest`; answers `{ok: true}`. */
  typing: (payload: unknown, cb?: (res: AckResult<object>) => void) => void;
}

export interface ServerToClientEvents {
  hello: (hello: Hello) => void;
  push: (entries: Entry[]) => void;
  /** extension: sent right before the server disconnects the socket on purpose (see `streamCloseSchema`). */
  close: (info: StreamClose) => void;
  /** extension (Presence): another member is typing (`TypingFrame`); ephemeral, never in the log. */
  typing: (frame: TypingFrame) => void;
}

export const SOCKET_PATH = "/socket.io";
