import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../../shared/protocol/index.js";
import { routesOf, type Route } from "./doors.js";
import { hostileBody, hostileString, pct, urlValue, VOCABULARY } from "./hostile.js";
import { type Answer, send, withDescription, type Probe } from "./http-probe.js";
import { fuzzDoor, RUNS_PER_DOOR, SEED, Tally, Unchanged } from "./run.js";
import { openDump, type StorageDump } from "./storage-dump.js";
import { ADMIN_TOKEN, buildWorld, type World } from "./world.js";

/**
 * Every HTTP route the app has (read from the app: routes added later are
 * fuzzed too), each with RUNS_PER_DOOR random and hostile requests: wrong
 * types, prototype keys, lone surrogates, NULs, broken UTF-8 in the URL and
 * the body, huge and deep JSON, wrong content types, no/foreign/garbage auth,
 * foreign origins and hosts, other users' ids. Never a 5xx; a refused request
 * (4xx, 429 included, or a cut connection) leaves every stored row as it was;
 * the server answers its health check after each route.
 */

const AUTH = ["none", "alice", "bob", "garbage", "basic", "cookie", "cookie+own-origin", "cookie+foreign-origin", "cookie+cross-site", "admin", "admin-wrong"] as const;
const CONTENT_TYPES = [
  "application/json",
  "application/json",
  "application/json",
  "application/json; charset=utf-8",
  "",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json; charset=utf-16",
  "APPLICATION/JSON",
  "application/jsonx",
] as const;
const DEVICES = ["none", "own", "foreign", "random", "hostile"] as const;
const HOSTS = ["own", "own", "own", "evil.example:3412", "127.0.0.1:1"] as const;
const QUERY_KEYS = [...VOCABULARY.keys, "after", "limit", "before", "q", "device", "cursor", "wait", "ack", "hb", "__proto__", "constructor", "__proto__[polluted]", "a[b]"];

interface Spec {
  method: string;
  segments: string[];
  query: [string, string][];
  auth: (typeof AUTH)[number];
  device: (typeof DEVICES)[number];
  deviceText: string;
  contentType: string;
  host: (typeof HOSTS)[number];
  forwarded: boolean;
  gzip: boolean;
  /** A well-formed id nobody has: a token, a device. */
  stranger: string;
  body: string | Buffer | undefined;
}

const PARAM = /:[A-Za-z0-9_]+/g;

function specOf(w: World, route: Route): fc.Arbitrary<Spec> {
  const params = route.url.match(PARAM) ?? [];
  const param = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...w.ids) }, { weight: 3, arbitrary: urlValue(w.ids) });
  return fc.record({
    method: fc.oneof({ weight: 9, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS") }),
    segments: fc.tuple(...params.map(() => param)),
    query: fc.array(fc.tuple(fc.constantFrom(...QUERY_KEYS), urlValue(w.ids)), { maxLength: 4 }),
    auth: fc.constantFrom(...AUTH),
    device: fc.constantFrom(...DEVICES),
    deviceText: hostileString(w.ids),
    contentType: fc.constantFrom(...CONTENT_TYPES),
    host: fc.constantFrom(...HOSTS),
    forwarded: fc.boolean(),
    gzip: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    stranger: fc.uuid(),
    body: hostileBody(w.ids),
  });
}

/** Header values must be what an HTTP client can send: printable ASCII, else percent-encoded. */
const headerSafe = (text: string) => (/^[\x20-\x7e]*$/.test(text) ? text : pct(text));

function probeOf(w: World, route: Route, spec: Spec): Probe {
  let i = 0;
  const path = route.url.replace(PARAM, () => spec.segments[i++]!);
  const query = spec.query.length > 0 ? `?${spec.query.map(([k, v]) => `${k.includes("[") ? k : pct(k)}=${v}`).join("&")}` : "";
  const headers: Record<string, string> = {};
  const cookie = `${SESSION_COOKIE}=${w.alice.token}`;
  const auth: Record<(typeof AUTH)[number], Record<string, string>> = {
    none: {},
    alice: { authorization: `Bearer ${w.alice.token}` },
    bob: { authorization: `Bearer ${w.bob.token}` },
    garbage: { authorization: `Bearer ${spec.stranger}` },
    basic: { authorization: "Basic YWxpY2U6eA==" },
    cookie: { cookie },
    "cookie+own-origin": { cookie, origin: w.origin },
    "cookie+foreign-origin": { cookie, origin: "https://evil.example" },
    "cookie+cross-site": { cookie, "sec-fetch-site": "cross-site" },
    admin: { authorization: `Bearer ${ADMIN_TOKEN}` },
    "admin-wrong": { authorization: `Bearer ${ADMIN_TOKEN}x` },
  };
  Object.assign(headers, auth[spec.auth]);
  const device = { none: null, own: w.aliceDevice, foreign: w.bobDevice, random: spec.stranger, hostile: headerSafe(spec.deviceText) }[spec.device];
  if (device !== null) headers["x-device-id"] = device;
  if (spec.contentType) headers["content-type"] = spec.contentType;
  if (spec.host !== "own") headers.host = spec.host;
  if (spec.forwarded) headers["x-forwarded-for"] = "203.0.113.9";
  if (spec.gzip) headers["content-encoding"] = "gzip";
  return withDescription({ method: spec.method, path: path + query, headers, body: spec.body });
}

/** Routes every build has; the enumeration must find at least these. */
const KNOWN: Route[] = [
  { method: "POST", url: "/api/auth/register" },
  { method: "POST", url: "/api/auth/login" },
  { method: "POST", url: "/api/messages" },
  { method: "POST", url: "/api/messages/:id/recall" },
  { method: "POST", url: "/api/messages/:id/hide" },
  { method: "POST", url: "/api/conversations" },
  { method: "GET", url: "/api/conversations/:id/messages" },
  { method: "PATCH", url: "/api/conversations/:id/settings" },
  { method: "POST", url: "/api/conversations/:id/read" },
  { method: "GET", url: "/api/sync/:d" },
  { method: "GET", url: "/api/stream" },
  { method: "GET", url: "/api/poll" },
  { method: "POST", url: "/api/admin/campaigns" },
];

let w: World;
let dump: StorageDump;
let unchanged: Unchanged;
const tally = new Tally();
beforeAll(async () => {
  w = await buildWorld();
  dump = await openDump(w.server);
  unchanged = new Unchanged(dump);
});
afterAll(async () => {
  console.info(`HTTP fuzz (seed ${SEED}, FUZZ_SEED replays): ${tally}`);
  await dump?.close();
  await w?.server.dispose();
});

const refused = (a: Answer) => a.status === 0 || (a.status !== null && a.status >= 400);

describe("HTTP fuzzer", () => {
  it("finds the app's routes: every feature's, including the ones named here", () => {
    const routes = routesOf(w.server.app);
    expect(routes.length).toBeGreaterThanOrEqual(25);
    expect(routes).toEqual(expect.arrayContaining(KNOWN));
  });

  it(`every route × ${RUNS_PER_DOOR} hostile requests: never a 5xx, still alive, and a refused request changes nothing stored`, async () => {
    for (const [index, route] of routesOf(w.server.app).entries()) {
      await fuzzDoor(`${route.method} ${route.url}`, index, specOf(w, route), async (spec) => {
        const probe = probeOf(w, route, spec);
        const answer = await unchanged.by(() => send(w.url, probe), refused, (a) => `${a.status} ${a.body}`);
        tally.add(answer.status === null ? "parked" : answer.status === 0 ? `cut:${answer.body}` : String(answer.status));
        if (answer.status !== null && answer.status >= 500) throw new Error(`${answer.status} ${answer.body}`);
        // A success may have been a logout or a device removal: the next case starts signed in.
        if (!refused(answer)) await w.revive();
      });
      const health = await fetch(`${w.url}/api/health`);
      expect(health.status, `health after ${route.method} ${route.url}`).toBe(200);
    }
    // The fuzzer reached past the front door: some requests were accepted, most refused.
    expect(tally.get("200") + tally.get("201") + tally.get("204")).toBeGreaterThan(0);
    expect(tally.get("400")).toBeGreaterThan(0);
  }, 120_000);
});
