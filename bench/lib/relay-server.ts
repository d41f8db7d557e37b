import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { Server } from "socket.io";
import { FRAME_LIMIT_BYTES, SOCKET_PATH } from "../../shared/protocol/index.js";

/**
 * The ceiling: the chat a plain socket.io server would be, with the same
 * socket.io version, options and wire shapes as Courier's WebSocket
 * transport, and nothing else: no storage, no versions, no acks, no
 * authentication beyond trusting the handshake's `userId`. A `send` is
 * stamped with an id and relayed as a one-entry `push` to everyone in the
 * conversation's room (the sender included, as Courier pushes to all
 * members' devices), then acknowledged.
 *
 * Run as a child process (`fork` with tsx); it reports `{port}` over IPC.
 */
const http = createServer((_req, res) => {
  res.writeHead(404).end();
});
const io = new Server(http, {
  path: SOCKET_PATH,
  transports: ["websocket"],
  maxHttpBufferSize: FRAME_LIMIT_BYTES,
  serveClient: false,
  pingInterval: 25_000,
  pingTimeout: 25_000,
});

interface SendPayload {
  clientMsgId?: unknown;
  conversationId?: unknown;
  kind?: unknown;
  body?: unknown;
}

io.on("connection", (socket) => {
  const auth = socket.handshake.auth as { userId?: unknown; rooms?: unknown };
  const userId = typeof auth.userId === "string" ? auth.userId : socket.id;
  if (Array.isArray(auth.rooms)) void socket.join(auth.rooms.filter((r): r is string => typeof r === "string"));
  socket.on("send", (payload: SendPayload, cb: unknown) => {
    const ack = typeof cb === "function" ? (cb as (res: unknown) => void) : () => {};
    if (typeof payload?.conversationId !== "string" || typeof payload.body !== "string" || typeof payload.clientMsgId !== "string") {
      return ack({ ok: false, error: { code: "bad_request", message: "bad send" } });
    }
    const at = Date.now();
    const message = { id: randomUUID(), conversationId: payload.conversationId, seq: 0, senderId: userId, clientMsgId: payload.clientMsgId, kind: "text", body: payload.body, at };
    io.to(payload.conversationId).emit("push", [{ d: "chat", v: 0, k: "msg", at, data: { message } }]);
    ack({ ok: true, message });
  });
});

http.listen(0, "127.0.0.1", () => {
  const address = http.address();
  process.send?.({ port: typeof address === "object" && address ? address.port : 0 });
});
process.on("disconnect", () => process.exit(0));
