import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../../shared/protocol/index.js";
import { type Client, connect } from "../testing/harness.js";
import { socketEventsOf } from "./doors.js";
import { hostileJson, hostileString } from "./hostile.js";
import { fuzzDoor, RUNS_PER_DOOR, SEED, Tally, Unchanged } from "./run.js";
import { openDump, type StorageDump } from "./storage-dump.js";
import { buildWorld, type World } from "./world.js";

/**
 * Every socket.io event the server listens to (read from a live socket: an
 * event added later is fuzzed too) with RUNS_PER_DOOR hostile payloads, sent
 * in every shape a client can (payload and callback, callback alone, no
 * callback, junk between), plus hostile handshakes. An event with a callback
 * is always answered, never with `internal`; a refusal (`ok: false`, or the
 * socket cut for an oversized frame) changes nothing stored; the socket (or a
 * new one) still answers a heartbeat after every case.
 */

/** How long an event may take to be answered. */
const ANSWER_MS = 10_000;

type Shape = "payload+cb" | "cb-only" | "payload-only" | "payload+junk+cb";
type Outcome = { kind: "answer"; value: { ok?: unknown; error?: { code?: unknown } } } | { kind: "cut" } | { kind: "silent" };

interface EventCase {
  shape: Shape;
  payload: unknown;
}

const deepArray = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

function caseOf(w: World): fc.Arbitrary<EventCase> {
  return fc.record({
    shape: fc.constantFrom<Shape>("payload+cb", "payload+cb", "payload+cb", "payload+cb", "cb-only", "payload-only", "payload+junk+cb"),
    payload: fc.oneof(
      { weight: 12, arbitrary: hostileJson(w.ids).map((text) => JSON.parse(text) as unknown) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(Buffer.from([0xff, 0x00, 0xed, 0xa0, 0x80]), deepArray(2000), { body: "x".repeat(70 * 1024) }, undefined) },
    ),
  }).map((c) => Object.assign(c, { [fc.toStringMethod]: () => `${c.shape} ${shortJson(c.payload)}` }));
}

const shortJson = (value: unknown) => {
  const text = Buffer.isBuffer(value) ? `<bytes ${value.toString("hex")}>` : (JSON.stringify(value) ?? "undefined");
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
};

let w: World;
let dump: StorageDump;
let unchanged: Unchanged;
let events: string[];
let client: Client;
const tally = new Tally();

const live = (): Client | undefined => (client.socket.connected ? client : undefined);

async function reconnect(): Promise<Client> {
  client?.socket.disconnect();
  unchanged?.forget();
  client = connect(w.url, { token: w.alice.token, deviceId: w.aliceDevice, protocol: 1 });
  await client.hello;
  return client;
}

/** Emits in the case's shape; resolves with the answer, the socket's end, or silence. */
function emit(c: Client, event: string, { shape, payload }: EventCase): Promise<Outcome> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ kind: "silent" }), ANSWER_MS);
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      c.socket.off("disconnect", cut);
      resolve(outcome);
    };
    const cut = () => done({ kind: "cut" });
    c.socket.once("disconnect", cut);
    const cb = (value: Extract<Outcome, { kind: "answer" }>["value"]) => done({ kind: "answer", value });
    // The typed event map does not know fuzzed events and shapes.
    const raw = c.socket.emit.bind(c.socket) as unknown as (ev: string, ...args: unknown[]) => void;
    if (shape === "payload+cb") raw(event, payload, cb);
    else if (shape === "cb-only") raw(event, cb);
    else {
      // No callback the server can reach: nothing to wait for (the heartbeat that follows shows the socket still works).
      raw(event, ...(shape === "payload+junk+cb" ? [payload, "junk", cb] : [payload]));
      done({ kind: "silent" });
    }
  });
}

const refusal = (o: Outcome) => o.kind === "cut" || (o.kind === "answer" && o.value.ok === false);

beforeAll(async () => {
  w = await buildWorld();
  dump = await openDump(w.server);
  unchanged = new Unchanged(dump);
  const found = socketEventsOf(w.server.io);
  await reconnect();
  events = await found;
});
afterAll(async () => {
  console.info(`socket fuzz (seed ${SEED}, FUZZ_SEED replays): ${tally}`);
  client?.socket.disconnect();
  await dump?.close();
  await w?.server.dispose();
});

describe("socket.io fuzzer", () => {
  it("finds the server's socket events, including the protocol's four and recall", () => {
    expect(events).toEqual(expect.arrayContaining(["send", "pull", "ack", "heartbeat", "recall"]));
  });

  it(`every event × ${RUNS_PER_DOOR} hostile payloads in every shape: answered, never internal, a refusal changes nothing, the socket lives on`, async () => {
    for (const [index, event] of events.entries()) {
      await fuzzDoor(`socket event ${event}`, index, caseOf(w), async (c) => {
        const socket = live() ?? (await reconnect());
        const outcome = await unchanged.by(() => emit(socket, event, c), refusal, (o) => JSON.stringify(o).slice(0, 200));
        const expectsAnswer = c.shape === "payload+cb" || c.shape === "cb-only";
        tally.add(outcome.kind === "answer" ? `${event}:${outcome.value.ok === true ? "ok" : String(outcome.value.error?.code)}` : `${event}:${outcome.kind}`);
        if (outcome.kind === "answer") {
          if (outcome.value.ok !== true && typeof outcome.value.error?.code !== "string") throw new Error(`malformed answer ${JSON.stringify(outcome.value)}`);
          if (outcome.value.error?.code === "internal") throw new Error(`internal error for ${event}`);
        }
        if (outcome.kind === "silent" && expectsAnswer) throw new Error(`${event} went unanswered for ${ANSWER_MS} ms`);
        // Whatever happened, this socket (or a new one, if it was cut: an oversized frame may be on its way) still answers.
        const heartbeat = { shape: "payload+cb" as const, payload: {} };
        let after = await emit(live() ?? (await reconnect()), "heartbeat", heartbeat);
        if (after.kind === "cut") after = await emit(await reconnect(), "heartbeat", heartbeat);
        if (after.kind !== "answer") throw new Error(`no heartbeat answer after ${event}: ${after.kind}`);
        if (!refusal(outcome)) await w.revive();
      });
    }
  }, 120_000);

  it(`${RUNS_PER_DOOR} hostile handshakes: refused with a protocol code (never internal) and nothing stored`, async () => {
    const spec = fc.record({
      token: fc.oneof(fc.constant(undefined), fc.constant("alice"), fc.constant("bob"), hostileString(w.ids)),
      deviceId: fc.oneof(fc.uuid(), fc.constantFrom(w.aliceDevice, w.bobDevice), hostileString(w.ids)),
      protocol: fc.oneof(fc.constant<unknown>(1), hostileJson(w.ids).map((t) => JSON.parse(t) as unknown)),
      extra: fc.option(hostileJson(w.ids).map((t) => JSON.parse(t) as unknown)),
      headers: fc.constantFrom<Record<string, string>>(
        {},
        {},
        {},
        {},
        { origin: "https://evil.example" },
        { origin: "null" },
        { cookie: "alice" },
        { cookie: "alice", origin: "https://evil.example" },
        { host: "evil.example:3412", origin: "http://evil.example:3412" },
      ),
    });
    await fuzzDoor("socket handshake", 1000, spec, async (s) => {
      const token = s.token === "alice" ? w.alice.token : s.token === "bob" ? w.bob.token : s.token;
      const auth: Record<string, unknown> = { ...(token === undefined ? {} : { token }), deviceId: s.deviceId, protocol: s.protocol };
      if (s.extra !== null) auth.extra = s.extra;
      const headers = { ...s.headers };
      if (headers.cookie) headers.cookie = `${SESSION_COOKIE}=${w.alice.token}`;
      let attempt: Client | undefined;
      const outcome = await unchanged.by(
        () =>
          new Promise<{ refused: boolean; code?: unknown }>((resolve) => {
            // Opened here, after storage was read: opened before, a refusal that came while it was read went unheard.
            attempt = connect(w.url, auth, headers);
            const timer = setTimeout(() => resolve({ refused: false, code: "neither hello nor refusal" }), ANSWER_MS);
            const settle = (o: { refused: boolean; code?: unknown }) => {
              clearTimeout(timer);
              resolve(o);
            };
            attempt.socket.once("connect_error", (err: Error & { data?: { code?: unknown } }) => settle({ refused: true, code: err.data?.code }));
            attempt.socket.once("disconnect", (reason) => settle({ refused: true, code: `disconnected: ${reason}` }));
            // The upgrade itself refused (an HTTP error before socket.io speaks): the manager says so, the socket may not.
            attempt.socket.io.once("error", () => settle({ refused: true }));
            attempt.hello.then(() => settle({ refused: false }), () => undefined);
          }),
        (o) => o.refused,
        (o) => String(o.code),
      );
      attempt?.socket.disconnect();
      tally.add(`handshake:${outcome.refused ? String(outcome.code ?? "engine") : "accepted"}`);
      if (outcome.code === "internal") throw new Error("a handshake was refused as internal");
      if (outcome.code === "neither hello nor refusal") throw new Error(`a handshake got neither hello nor a refusal in ${ANSWER_MS} ms`);
    });
    expect((await fetch(`${w.url}/api/health`)).status).toBe(200);
  }, 60_000);
});
