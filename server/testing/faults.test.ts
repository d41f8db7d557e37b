import { afterEach, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import type { DeliverySnapshot } from "../sync/delivery-metrics.js";
import { openStream } from "./sse-client.js";
import { eventually, listen, register, startServer, type TestServer } from "./harness.js";

let server: TestServer | null = null;
afterEach(async () => {
  await server?.dispose();
  server = null;
});

describe("fault injection routes", () => {
  it("do not exist unless FAULT_INJECTION is on", async () => {
    server = await startServer();
    const res = await server.app.inject({ method: "POST", url: "/api/faults/close", payload: { transport: "sse" } });
    expect(res.statusCode).toBe(404);
  });

  it("end every live stream of a transport as dead, and report the delivery counters", async () => {
    // Short heartbeats: the stream that stops showing signs of life below is found dead within a second.
    server = await startServer({ faultInjection: true, heartbeatMs: 200 });
    const url = await listen(server);
    const alice = await register(server.app);
    const stream = await openStream(`${url}/api/stream?device=${randomUUID()}`, { authorization: `Bearer ${alice.token}` });
    await stream.next((e) => e.event === "hello");
    expect(server.hub.countByTransport().sse).toBe(1);

    const bad = await server.app.inject({ method: "POST", url: "/api/faults/close", payload: { transport: "carrier-pigeon" } });
    expect(bad.statusCode).toBe(400);
    const res = await fetch(`${url}/api/faults/close`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ transport: "sse" }) });
    expect(await res.json()).toEqual({ closed: 1 });
    expect(JSON.parse((await stream.next((e) => e.event === "close")).data)).toMatchObject({ reason: "dead" });
    await eventually(() => server!.hub.countByTransport().sse === 0);

    stream.close();
    const deadCounts = async () => ((await (await fetch(`${url}/api/faults/metrics`)).json()) as { delivery: DeliverySnapshot }).delivery.deadConnections;
    // A stream ended by the fault route was not found dead by the server: not counted.
    expect(await deadCounts()).toEqual({ ws: 0, sse: 0, poll: 0 });

    // One that asked to be watched (hb=1) and then sent no sign of life is found dead, and the route counts it.
    const silent = await openStream(`${url}/api/stream?device=${randomUUID()}&hb=1`, { authorization: `Bearer ${alice.token}` });
    expect(JSON.parse((await silent.next((e) => e.event === "close")).data)).toMatchObject({ reason: "dead" });
    expect(await deadCounts()).toEqual({ ws: 0, sse: 1, poll: 0 });
    silent.close();
  });

  it("refuse requests through a proxy or for another host name, even from this machine", async () => {
    server = await startServer({ faultInjection: true });
    const proxied = await server.app.inject({
      method: "POST",
      url: "/api/faults/close",
      remoteAddress: "127.0.0.1",
      headers: { "x-forwarded-for": "203.0.113.9" },
      payload: { transport: "sse" },
    });
    expect(proxied.statusCode).toBe(403);
    const rebound = await server.app.inject({ method: "GET", url: "/api/faults/metrics", remoteAddress: "127.0.0.1", headers: { host: "attacker.example" } });
    expect(rebound.statusCode).toBe(403);
    const local = await server.app.inject({ method: "GET", url: "/api/faults/metrics", remoteAddress: "127.0.0.1", headers: { host: "127.0.0.1:3000" } });
    expect(local.statusCode).toBe(200);
  });
});
