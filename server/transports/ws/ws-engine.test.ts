import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket as NetSocket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket as WsClient, type WebSocket } from "ws";
import { connect, listen, register, startServer, type TestServer, turnCounter } from "../../testing/harness.js";
import { CourierWebSocketServer, MESSAGES_PER_TURN } from "./ws-engine.js";

let http: Server | null = null;
let wss: CourierWebSocketServer | null = null;
let courier: TestServer | null = null;
const clients: WsClient[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  for (const close of closers.splice(0)) close();
  wss?.close();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  await courier?.dispose();
  http = wss = courier = null;
});

/** Counts the stream's writes to the network (each call of _write or _writev is one system call). */
function countWrites(tcp: NetSocket): () => number {
  const stream = tcp as NetSocket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  let writes = 0;
  for (const method of ["_write", "_writev"] as const) {
    const original = stream[method].bind(stream);
    stream[method] = (...args: unknown[]) => {
      writes++;
      original(...args);
    };
  }
  return () => writes;
}

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
  return { server, client, writes: countWrites((server as unknown as { _socket: NetSocket })._socket), received };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe("CourierWebSocketServer's sockets: turns (issue 16, TURNS)", () => {
  it("a flood of 1,000 WebSocket pings in one read is taken 16 a turn, every one answered, in order", async () => {
    const { server, client } = await connected();
    const turn = turnCounter();
    const perTurn = new Map<number, number>();
    server.on("ping", () => perTurn.set(turn.now(), (perTurn.get(turn.now()) ?? 0) + 1));
    const pongs: string[] = [];
    client.on("pong", (data) => pongs.push(String(data)));
    const tcp = (client as unknown as { _socket: NetSocket })._socket;
    tcp.cork();
    for (let i = 0; i < 1000; i++) client.ping(String(i));
    tcp.uncork();
    await expect.poll(() => pongs.length, { timeout: 10_000 }).toBe(1000);
    turn.stop();
    expect(pongs).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)));
    // ws alone answers a read's pings in one go: hundreds in one turn.
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(MESSAGES_PER_TURN);
  });
});

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

  it("a socket terminated in the turn it was given frames writes them before the cut", async () => {
    const { server, client, received } = await connected();
    server.send("a");
    server.send("b");
    server.terminate();
    await new Promise((resolve) => client.once("close", resolve));
    expect(received).toEqual(["a", "b"]);
  });

  it("through socket.io, a burst of 10 events to one socket in one turn takes 2 writes (10 before), in order", async () => {
    courier = await startServer();
    const url = await listen(courier);
    const alice = await register(courier.app, "alice");
    const client = connect(url, { token: alice.token, deviceId: randomUUID(), protocol: 1 });
    closers.push(() => client.socket.disconnect());
    await client.hello;
    const [socket] = [...courier.io.of("/").sockets.values()];
    const writes = countWrites((socket!.conn.transport as unknown as { socket: { _socket: NetSocket } }).socket._socket);
    const got: number[] = [];
    (client.socket as unknown as { on: (event: string, fn: (n: number) => void) => void }).on("probe", (n) => got.push(n));
    for (let i = 0; i < 10; i++) (socket as unknown as { emit: (event: string, n: number) => void }).emit("probe", i);
    await settled();
    expect(writes()).toBe(2);
    await expect.poll(() => got).toEqual(Array.from({ length: 10 }, (_, i) => i));
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
