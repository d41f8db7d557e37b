import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket as NetSocket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket as WsClient, type WebSocket } from "ws";
import { CourierWebSocketServer } from "./ws-engine.js";

let http: Server | null = null;
let wss: CourierWebSocketServer | null = null;
const clients: WsClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  wss?.close();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  http = wss = null;
});

/** A server socket and the client connected to it, with the server socket's writes to the network counted. */
async function connected(): Promise<{ server: WebSocket; client: WsClient; writes: () => number; received: string[] }> {
  http = createServer();
  wss = new CourierWebSocketServer({ noServer: true });
  const accepted = new Promise<WebSocket>((resolve) => {
    http!.on("upgrade", (req, socket, head) => wss!.handleUpgrade(req, socket, head, resolve));
  });
  await new Promise<void>((resolve) => http!.listen(0, "127.0.0.1", resolve));
  const client = new WsClient(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
  clients.push(client);
  const received: string[] = [];
  client.on("message", (data) => received.push(String(data)));
  await new Promise((resolve, reject) => client.once("open", resolve).once("error", reject));
  const server = await accepted;
  // Each call of the stream's _write or _writev is one system call on the socket.
  const tcp = (server as unknown as { _socket: NetSocket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void } })._socket;
  let writes = 0;
  for (const method of ["_write", "_writev"] as const) {
    const original = tcp[method].bind(tcp);
    tcp[method] = (...args: unknown[]) => {
      writes++;
      original(...args);
    };
  }
  return { server, client, writes: () => writes, received };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe("CourierWebSocketServer's sockets (issue 16, WSCORK)", () => {
  it("send the frames of one turn in one write, in order (ws writes each frame on its own)", async () => {
    const { server, writes, received } = await connected();
    for (let i = 0; i < 10; i++) server.send(`frame ${i}`);
    await settled();
    expect(writes()).toBe(1);
    await expect.poll(() => received).toEqual(Array.from({ length: 10 }, (_, i) => `frame ${i}`));
  });

  it("send a frame alone before the next turn, and corks again for the next turn", async () => {
    const { server, writes, received } = await connected();
    const tcp = (server as unknown as { _socket: NetSocket })._socket;
    server.send("first");
    expect(tcp.writableCorked).toBe(1);
    await new Promise(process.nextTick);
    // Written once this turn's ticks ran, before any timer or I/O of the next turn.
    expect(tcp.writableCorked).toBe(0);
    expect(writes()).toBe(1);
    await settled();
    server.send("second");
    server.send("third");
    await settled();
    expect(writes()).toBe(2);
    await expect.poll(() => received).toEqual(["first", "second", "third"]);
  });

  it("a socket that closes with frames corked writes them, and one sent after the close fails as ws's does", async () => {
    const { server, client, received } = await connected();
    server.send("last words");
    server.close(1000, "bye");
    const closed = await new Promise<number>((resolve) => client.once("close", resolve));
    expect(closed).toBe(1000);
    expect(received).toEqual(["last words"]);
    const error = await new Promise<Error | undefined>((resolve) => server.send("too late", resolve));
    expect(error?.message).toMatch(/not open/);
  });
});
