import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Message } from "../../shared/protocol/index.js";
import type { MessageTrace } from "../observability/trace-routes.js";
import { clusterFixture } from "../testing/cluster-fixture.js";
import { call, connect, emitAck, eventually, listen, openDirect, register, sendHttp, type TestServer } from "../testing/harness.js";

/**
 * The message trace across processes (docs/observability.md "Trace"): a
 * message sent through process A to a device live on process B has one trace,
 * whichever process is asked, naming the process that saw each event.
 */
const ADMIN_TOKEN = "trace-cluster-admin-token-77aa01";
const cluster = clusterFixture();

describe.skipIf(!cluster.enabled)("message trace across processes", () => {
  it("stored on node-a, pushed and acked on node-b: the same trace from either process", async () => {
    const servers = await cluster.start(["node-a", "node-b"].map((nodeId) => ({ adminToken: ADMIN_TOKEN, nodeId, heartbeatMs: 60_000 })));
    const [a, b] = servers as [TestServer, TestServer];
    const urlB = await listen(b);

    const alice = await register(a.app);
    const bob = await register(a.app);
    const { conversationId } = await openDirect(a.app, alice, bob);
    const deviceId = randomUUID();
    const phone = connect(urlB, { token: bob.token, deviceId, protocol: 1 });
    cluster.clients.push(phone);
    await phone.hello;

    const m = await sendHttp(a.app, alice, conversationId, "across the cluster");
    const carries = () => phone.pushed.find((e) => (e.data as { message?: Message } | null)?.message?.id === m.id);
    await eventually(() => carries() !== undefined, 5000);
    expect(await emitAck(phone.socket, "ack", { acks: { chat: carries()!.v } })).toMatchObject({ ok: true });

    await Promise.all(servers.map((s) => s.trace.flush()));
    const traces = await Promise.all(
      servers.map((s) => call<MessageTrace>(s.app, "GET", `/api/admin/messages/${m.id}/trace`, { token: ADMIN_TOKEN })),
    );
    for (const t of traces) expect(t.status).toBe(200);
    expect(traces[1]!.body).toEqual(traces[0]!.body);
    expect(traces[0]!.body.events).toEqual([
      expect.objectContaining({ event: "stored", userId: alice.user.id, node: "node-a" }),
      expect.objectContaining({ event: "pushed", userId: bob.user.id, deviceId, transport: "ws", node: "node-b" }),
      expect.objectContaining({ event: "acked", userId: bob.user.id, deviceId, node: "node-b" }),
    ]);
  });
});
