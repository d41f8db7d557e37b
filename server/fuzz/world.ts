import { randomUUID } from "node:crypto";
import { hashToken } from "../auth/tokens.js";
import { call, listen, openDirect, sendHttp, startServer, type Session, type TestServer } from "../testing/harness.js";

/**
 * A server with three users and something of each kind to aim at: Alice (the
 * fuzzer's usual identity) with a conversation, a device and Bob's listing;
 * Bob and Carol with a conversation Alice is not in, messages in both. The fuzzer's ids are
 * Alice's own and other users' alike.
 */
export const PASSWORD = "correct horse battery";
export const ADMIN_TOKEN = "fuzz-admin-token-0123456789abcdef";

export interface World {
  server: TestServer;
  url: string;
  origin: string;
  alice: Session;
  bob: Session;
  carol: Session;
  aliceDevice: string;
  bobDevice: string;
  /** Ids of every kind, Alice's and other users': users, conversations, a listing, devices. */
  ids: string[];
  /** Signs back in anyone a fuzzed request signed out (a logout is a success, not a refusal). */
  revive(): Promise<void>;
}

export async function buildWorld(): Promise<World> {
  const server = await startServer({ adminToken: ADMIN_TOKEN, heartbeatMs: 1000 });
  const url = await listen(server);
  const { app } = server;
  const account = async (name: string) => {
    const res = await call<Session>(app, "POST", "/api/auth/register", { body: { username: `${name}_${process.pid}`, password: PASSWORD, displayName: name } });
    if (res.status !== 201) throw new Error(`register ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const alice = await account("alice");
  const bob = await account("bob");
  const carol = await account("carol");
  const own = await openDirect(app, alice, bob);
  const foreign = await openDirect(app, bob, carol);
  const aliceDevice = randomUUID();
  const bobDevice = randomUUID();
  await call(app, "PUT", `/api/devices/${aliceDevice}`, { token: alice.token, body: { protocol: 1, capabilities: [] } });
  await call(app, "PUT", `/api/devices/${bobDevice}`, { token: bob.token, body: { protocol: 1, capabilities: [] } });
  const item = await call<{ item: { id: string } }>(app, "POST", "/api/items", { token: bob.token, body: { title: "Bike", priceCents: 4500 } });
  // Messages to recall, hide and quote: Alice's and Bob's in her conversation, one in a conversation she is not in.
  const messages = [
    await sendHttp(app, alice, own.conversationId, "mine"),
    await sendHttp(app, bob, own.conversationId, "his"),
    await sendHttp(app, bob, foreign.conversationId, "theirs"),
  ];
  const ids = [alice.user.id, bob.user.id, carol.user.id, own.conversationId, foreign.conversationId, aliceDevice, bobDevice, ...messages.map((m) => m.id)];
  if (item.body?.item?.id) ids.push(item.body.item.id);

  const sessions = [alice, bob, carol];
  return {
    server,
    url,
    origin: url,
    alice,
    bob,
    carol,
    aliceDevice,
    bobDevice,
    ids,
    async revive() {
      for (const s of sessions) {
        if (await server.storage.read(async (r) => r.sessions.find(hashToken(s.token), Date.now()))) continue;
        const res = await call<Session>(app, "POST", "/api/auth/login", { body: { username: s.user.username, password: PASSWORD } });
        if (res.status !== 200) throw new Error(`could not sign ${s.user.username} back in: ${res.status}`);
        s.token = res.body.token;
      }
    },
  };
}
