import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Entry, Message } from "../../shared/protocol/index.js";
import { startRedis } from "../../scripts/provision/redis.js";
import type { RunningService } from "../../scripts/provision/service.js";
import { createTestSchema, type TestSchema } from "../testing/engines.js";
import { call, type Client, connect, eventually, listen, openDirect, register, sendHttp, startServer, type TestServer } from "../testing/harness.js";

/**
 * A recall made on one process of a cluster (two apps on one PostgreSQL
 * schema and one Redis) reaches a device connected to the other one, live,
 * and the text is gone from what that process serves.
 */
const enabled = Boolean(process.env.TEST_DATABASE_URL);

let redis: RunningService;
let schema: TestSchema | undefined;
const servers: TestServer[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  if (enabled) redis = await startRedis();
});
afterAll(() => redis?.stop());
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.disconnect();
  await Promise.all(servers.splice(0).map((s) => s.dispose()));
  await schema?.drop();
});

describe.skipIf(!enabled)("recall across processes", () => {
  it("a recall on process A reaches Bob's socket on process B, live", async () => {
    schema = await createTestSchema();
    for (let i = 0; i < 2; i++) servers.push(await startServer({ databaseUrl: schema.url, redisUrl: redis.url }));
    const [a, b] = servers as [TestServer, TestServer];
    const urlB = await listen(b);
    await eventually(() => servers.every((s) => s.cluster.link?.up === true));

    const alice = await register(a.app);
    const bob = await register(a.app);
    const { conversationId } = await openDirect(a.app, alice, bob);
    const m = await sendHttp(a.app, alice, conversationId, "sent to the wrong person");
    const phone = connect(urlB, { token: bob.token, deviceId: randomUUID(), protocol: 1 });
    clients.push(phone);
    await phone.hello;

    const res = await call<{ message: Message }>(a.app, "POST", `/api/messages/${m.id}/recall`, { token: alice.token });
    expect(res.status).toBe(200);
    const recalled = (e: Entry) => e.k === "recall" && (e.data as { messageId: string }).messageId === m.id;
    await eventually(() => phone.pushed.some(recalled), 5000);
    expect(phone.pushed.find(recalled)!.data).toMatchObject({ conversationId, seq: m.seq, by: alice.user.id });
  });
});
