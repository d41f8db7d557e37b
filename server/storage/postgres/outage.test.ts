import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Message } from "../../../shared/protocol/index.js";
import { startPostgres } from "../../../scripts/provision/postgres.js";
import type { RunningService } from "../../../scripts/provision/service.js";
import { call, connect, emitAck, eventually, listen, openDirect, register, startServer, type TestServer } from "../../testing/harness.js";

/**
 * The database goes away under a running server and comes back: requests that
 * need it answer 503 with Retry-After (socket acks `unavailable`), the process
 * and its open connections stay up, and it recovers by itself. A PostgreSQL of
 * its own (started like `npm test` starts one), since this test stops it.
 */
describe("PostgreSQL down and back", () => {
  let pg: RunningService;
  let server: TestServer;

  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.dispose();
    pg?.stop();
  });

  it("answers 503 unavailable with Retry-After while the database is down, keeps sockets open, and recovers without a restart", async () => {
    server = await startServer({ databaseUrl: pg.url });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const conv = await openDirect(server.app, alice, bob);
    const bobSocket = connect(url, { token: bob.token, deviceId: randomUUID(), protocol: 1 });
    await bobSocket.hello;

    await pg.pause!();
    const send = (body: string) =>
      call<{ message?: Message; error?: { code: string } }>(server.app, "POST", "/api/messages", {
        token: alice.token,
        body: { clientMsgId: randomUUID(), conversationId: conv.conversationId, kind: "text", body },
      });
    const refused = await send("while down");
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: "unavailable" });
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect((await call(server.app, "GET", "/api/conversations", { token: alice.token })).status).toBe(503);
    const ack = await emitAck(bobSocket.socket, "send", { clientMsgId: randomUUID(), conversationId: conv.conversationId, kind: "text", body: "x" });
    expect(ack).toMatchObject({ ok: false, error: { code: "unavailable" } });
    // The process is up (liveness), and the socket stays open for when the database is back.
    expect((await call(server.app, "GET", "/api/health")).status).toBe(200);
    expect(bobSocket.socket.connected).toBe(true);

    await pg.resume!();
    let sent: Message | undefined;
    await eventually(async () => {
      const res = await send("after the outage");
      sent = res.body.message;
      return res.status === 201;
    }, 20_000);
    // Nothing the refused requests touched was kept; what came after arrives live.
    await eventually(() => bobSocket.pushed.some((e) => e.k === "msg" && (e.data as { message: Message }).message.id === sent!.id));
    const history = await call<{ messages: Message[] }>(server.app, "GET", `/api/conversations/${conv.conversationId}/messages`, { token: bob.token });
    expect(history.body.messages.map((m) => m.body)).toEqual(["after the outage"]);
    bobSocket.socket.disconnect();
  }, 60_000);
});
