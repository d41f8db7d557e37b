import { randomUUID } from "node:crypto";
import { connect as connectTcp } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type Message, POLL_WAIT_MAX_MS, type PollResponse } from "../../shared/protocol/index.js";
import { httpTimeouts } from "../app.js";
import { eventually, listen, openDirect, pullAll, register, sendHttp, startServer, type TestServer } from "../testing/harness.js";
import { openStream } from "../testing/sse-client.js";

/**
 * Issue 12, finding 9: a request dribbled a byte at a time was held for
 * minutes. With short configured timeouts (the defaults are 10 s for the head
 * and 20 s for the whole request), a real socket that dribbles its head or
 * its body is answered 408 and closed, while an SSE stream and a parked
 * long-poll opened before it outlive it and still deliver.
 */

let server: TestServer | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

const TIMEOUTS = { headersMs: 300, requestMs: 600 };

/**
 * Opens a raw connection, writes `head`, then one byte of `drip` per tick
 * (the attack: no legitimate client sends this slowly) until the server
 * closes it. Resolves with everything the server answered.
 */
function dribble(url: string, head: string, drip: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connectTcp(Number(port), hostname);
    let answer = "";
    let sent = 0;
    const tick = setInterval(() => {
      if (!socket.destroyed && sent < drip.length) socket.write(drip[sent++]!);
    }, 20);
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(head));
    socket.on("data", (chunk: string) => (answer += chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(tick);
      if (sent >= drip.length) reject(new Error(`the whole request got through: ${answer.split("\r\n")[0]}`));
      else resolve(answer);
    });
  });
}

describe("slow requests (slowloris)", () => {
  it("cuts a dribbled head or body with 408, and stores nothing of it, while an SSE stream and a parked long-poll live on", { timeout: 20_000 }, async () => {
    server = await startServer({ timeouts: TIMEOUTS });
    const url = await listen(server);
    const alice = await register(server.app, "alice");
    const bob = await register(server.app, "bob");
    const { conversationId } = await openDirect(server.app, alice, bob);

    const stream = await openStream(`${url}/api/stream?device=${randomUUID()}`, { authorization: `Bearer ${alice.token}` });
    await stream.next((e) => e.event === "hello");
    const pollDevice = randomUUID();
    const first = (await (await fetch(`${url}/api/poll?device=${pollDevice}&wait=0`, { headers: { authorization: `Bearer ${alice.token}` } }).then((r) => r.json())) as PollResponse);
    let pollAnswered = false;
    const parked = fetch(`${url}/api/poll?device=${pollDevice}&cursor=${encodeURIComponent(first.cursor)}&wait=${POLL_WAIT_MAX_MS}`, {
      headers: { authorization: `Bearer ${alice.token}` },
    }).then(async (r) => {
      pollAnswered = true;
      return { status: r.status, body: (await r.json()) as PollResponse };
    });
    await eventually(() => server!.hub.countByTransport().poll === 1);

    const body = JSON.stringify({ clientMsgId: randomUUID(), conversationId, kind: "text", body: "sent very slowly" });
    const slowBody = dribble(
      url,
      `POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${alice.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
    );
    const slowHead = dribble(url, "POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n", `${"X-Padding: a\r\n".repeat(200)}\r\n`);
    const [bodyAnswer, headAnswer] = await Promise.all([slowBody, slowHead]);
    for (const answer of [bodyAnswer, headAnswer]) {
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      // Courier's error shape and the security headers, like every other answer.
      expect(answer).toMatch(/\r\ncontent-security-policy: default-src 'self'.*frame-ancestors 'none'/);
      expect(answer).toMatch(/\r\nx-content-type-options: nosniff\r\n/);
      expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))).toEqual({ error: { code: "timeout", message: expect.any(String) } });
    }

    // Both long requests were open before the slow ones and outlived them, so they lived past both timeouts.
    expect(pollAnswered).toBe(false);
    const sent = await sendHttp(server.app, bob, conversationId, "still here?");
    const polled = await parked;
    expect(polled.status).toBe(200);
    expect(polled.body.entries.map((e) => (e.data as { message?: Message }).message?.id)).toEqual([sent.id]);
    await stream.next((e) => e.event === "push" && e.data.includes(sent.id));
    stream.close();

    // The dribbled message was never stored.
    const chat = await pullAll(server.app, alice, "chat");
    const bodies = chat.entries.map((e) => (e.data as { message?: Message }).message?.body).filter(Boolean);
    expect(bodies).toEqual(["still here?"]);
  });

  it("answers bytes that are not HTTP in Courier's error shape, with the security headers", async () => {
    server = await startServer();
    const { hostname, port } = new URL(await listen(server));
    const answer = await new Promise<string>((resolve) => {
      const socket = connectTcp(Number(port), hostname, () => socket.write("HELLO THERE\r\n\r\n"));
      let text = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => (text += chunk));
      socket.on("error", () => undefined);
      socket.on("close", () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toMatch(/\r\nx-frame-options: DENY\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))).toEqual({ error: { code: "bad_request", message: "Malformed HTTP request." } });
  });

  it("drops silent sockets only after the longest legitimate silence: a parked poll's wait and two SSE heartbeats", () => {
    const t = httpTimeouts({ timeouts: { headersMs: 10_000, requestMs: 20_000 }, heartbeatMs: 25_000 });
    expect(t.idleMs).toBeGreaterThan(POLL_WAIT_MAX_MS);
    expect(t.idleMs).toBeGreaterThan(2 * 25_000);
    expect(t.node).toEqual({ headersTimeout: 10_000, requestTimeout: 20_000, connectionsCheckingInterval: 1000 });
    // A head deadline above the whole request's is cut to it (Node refuses the other way round).
    expect(httpTimeouts({ timeouts: { headersMs: 9000, requestMs: 5000 }, heartbeatMs: 1000 }).node.headersTimeout).toBe(5000);
  });
});
