import { afterEach, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
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
    server = await startServer({ faultInjection: true });
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

    const metrics = (await (await fetch(`${url}/api/faults/metrics`)).json()) as { delivery: object; push: object };
    expect(metrics.delivery).toBeTypeOf("object");
    expect(metrics.push).toBeTypeOf("object");
    stream.close();
  });
});
