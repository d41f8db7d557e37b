import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { Entry, Message, Summary } from "../../../shared/protocol/index.js";
import { call, connect, type Client, emitAck, eventually, listen, pullAll, register, startServer, type TestServer } from "../../testing/harness.js";

let server: TestServer;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.disconnect();
  await server?.dispose();
});

const SENDERS = 20;
const EACH = 10;

describe("versions under concurrent senders", () => {
  it(`${SENDERS} clients × ${EACH} messages into one group: every member's chat domain is exactly 1..N and seqs 1..${SENDERS * EACH}`, async () => {
    server = await startServer();
    const url = await listen(server);
    const users = [];
    for (let i = 0; i < SENDERS; i++) users.push(await register(server.app, `member${i}`));
    const [creator, ...rest] = users;
    // Followers of the creator join at once (a stranger's group would be a request: docs/groups.md).
    for (const u of rest) await call(server.app, "POST", `/api/users/${creator!.user.id}/follow`, { token: u.token });
    const group = await call<{ summary: Summary }>(server.app, "POST", "/api/conversations", {
      token: creator!.token,
      body: { type: "group", title: "Everyone", memberIds: rest.map((u) => u.user.id) },
    });
    const conversationId = group.body.summary.conversationId;

    for (const u of users) clients.push(connect(url, { token: u.token, deviceId: randomUUID(), protocol: 1 }));
    const hellos = await Promise.all(clients.map((c) => c.hello));

    // Everyone fires all their messages at once, without waiting for acks. A
    // PostgreSQL pool that stays full answers `unavailable` ("busy"); like the
    // app's outbox, a sender tries again with the same clientMsgId.
    type Ack = { ok: boolean; message: Message; error?: { code: string; retryAfterMs?: number } };
    const send = async (c: Client, payload: object): Promise<Ack> => {
      for (;;) {
        const ack = await emitAck<Ack>(c.socket, "send", payload);
        if (ack.ok || ack.error?.code !== "unavailable") return ack;
        await new Promise((resolve) => setTimeout(resolve, ack.error?.retryAfterMs ?? 1000));
      }
    };
    const results = await Promise.all(
      clients.flatMap((c) =>
        Array.from({ length: EACH }, (_, i) => send(c, { clientMsgId: randomUUID(), conversationId, kind: "text", body: `m${i}` })),
      ),
    );
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const seqs = results.map((r) => r.message.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: SENDERS * EACH }, (_, i) => i + 1));

    const total = 1 + SENDERS * EACH; // the conv entry, then every message
    for (const u of users) {
      const { entries, head } = await pullAll(server.app, u, "chat");
      expect(head).toBe(total);
      expect(entries.map((e: Entry) => e.v)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      const msgSeqs = entries.filter((e) => e.k === "msg").map((e) => (e.data as { message: Message }).message.seq);
      expect(msgSeqs).toEqual(Array.from({ length: SENDERS * EACH }, (_, i) => i + 1));
    }

    // Live pushes carried everything after hello, each version exactly once. On
    // PostgreSQL two commits may be answered in the other order than their
    // versions, so pushes may arrive out of order (the protocol allows it;
    // clients order by version): compare as sets, and count repeats.
    for (const [i, c] of clients.entries()) {
      const from = hellos[i]!.heads.chat;
      await eventually(() => c.pushed.length >= total - from);
      const versions = c.pushed.map((e) => e.v);
      expect(versions).toHaveLength(total - from);
      expect(versions.toSorted((a, b) => a - b)).toEqual(Array.from({ length: total - from }, (_, k) => from + k + 1));
    }
  }, 60_000); // 20 scrypt registrations and 200 fsynced transactions on a 2-core CI machine
});
