import { randomUUID } from "node:crypto";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, listen, openDirect, pullAll, register, type Session, startServer, type TestServer } from "../testing/harness.js";

let server: TestServer;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.dispose();
});

/**
 * A send over HTTP whose body is still on its way when the stop begins (a phone on a slow link): the head
 * and the first bytes now, the rest when `finish()` is called. `answer` is everything the server wrote
 * back before the connection closed.
 */
async function slowSend(server: TestServer, url: string, alice: Session, conversationId: string) {
  const body = JSON.stringify({ clientMsgId: randomUUID(), conversationId, kind: "text", body: "sent as the server stops" });
  const port = Number(new URL(url).port);
  const socket = connect(port, "127.0.0.1");
  sockets.push(socket);
  let received = "";
  socket.on("data", (chunk) => (received += chunk.toString()));
  const answer = new Promise<string>((resolve) => socket.on("close", () => resolve(received)));
  await new Promise((resolve) => socket.once("connect", resolve));
  const parsed = new Promise((resolve) => server.app.server.once("request", resolve));
  socket.write(
    `POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${alice.token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 20)}`,
  );
  // The server has the request's head and is reading its body.
  await parsed;
  return { answer, finish: () => socket.write(body.slice(20)) };
}

describe("graceful stop over HTTP", () => {
  it("a request in flight when the stop begins is answered, with its connection closed after, and what it wrote is kept", async () => {
    server = await startServer();
    const url = await listen(server);
    const [alice, bob] = [await register(server.app, "alice"), await register(server.app, "bob")];
    const chat = await openDirect(server.app, alice, bob);
    const { answer, finish } = await slowSend(server, url, alice, chat.conversationId);
    const stopping = server.close();
    // Stopping has begun (new requests are refused) while this one's body is still arriving.
    await eventually(() => server.draining());
    finish();
    const reply = await answer;
    expect(reply).toMatch(/^HTTP\/1\.1 201 /);
    expect(reply).toMatch(/\r\nconnection: close\r\n/i);
    expect(reply).toContain("sent as the server stops");
    await stopping;
    // Started again on the same data: the message is there.
    server = await startServer({ dataDir: server.dir });
    const pulled = await pullAll(server.app, bob, "chat");
    expect(pulled.entries.map((e) => (e.data as { message?: { body?: string } }).message?.body)).toContain("sent as the server stops");
  });

  it("a request that does not finish holds the stop for shutdownDrainMs at most, then is cut", async () => {
    server = await startServer({}, { shutdownDrainMs: 100 });
    const url = await listen(server);
    const [alice, bob] = [await register(server.app, "alice"), await register(server.app, "bob")];
    const chat = await openDirect(server.app, alice, bob);
    const { answer } = await slowSend(server, url, alice, chat.conversationId);
    // The rest of the body never comes: the stop still ends, and the connection with it, unanswered.
    await server.close();
    expect(await answer).toBe("");
  });
});
