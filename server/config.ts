import { isIP } from "node:net";
import { hostname } from "node:os";
import { z } from "zod";
import { MEDIA_MAX_BYTES_DEFAULT, POLL_GRACE_MS, RECALL_WINDOW_MS_DEFAULT } from "../shared/protocol/index.js";

/**
 * Server configuration, read once from the environment. Every setting has a
 * default so `npm start` needs none; a bad value stops startup with a message
 * naming the variable instead of failing later in some unrelated place.
 */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A token bucket: `limit` requests per `windowMs`, refilled smoothly; `limit: 0` turns it off. */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

export interface RateLimits {
  /** `POST /api/auth/register` attempts per client IP. */
  registerPerIp: RateLimit;
  /** `POST /api/auth/login` attempts per client IP (a successful one gives its token back). */
  loginPerIp: RateLimit;
  /**
   * Sign-in attempts per (username, client address); a successful one gives
   * its token back. Never per username alone: other people's wrong guesses
   * must not lock the owner out.
   */
  loginPerUsernameIp: RateLimit;
  /** Message sends per user, HTTP and socket together. */
  sendPerUser: RateLimit;
  /** Conversations (direct or group) a user creates. */
  conversationsPerUser: RateLimit;
  /** Members a user adds to conversations (each member counts: a group created with 5 is 5). */
  membersAddedPerUser: RateLimit;
  /** Every HTTP request per client address (static files included). */
  requestsPerIp: RateLimit;
  /** Every authenticated HTTP request and every socket.io event per user, together. */
  requestsPerUser: RateLimit;
  /** Catalogue items (listings) a user creates. */
  itemsPerUser: RateLimit;
  /** Settings writes per user (conversation settings, push preferences). */
  settingsPerUser: RateLimit;
  /** Failed admin-token attempts per client address (never exempt). */
  adminFailuresPerIp: RateLimit;
  /** Reports (`POST /api/reports`) per user: each one is read by a person. */
  reportsPerUser: RateLimit;
  /** Photo uploads (`POST /api/media`) per user: each one is decoded and re-encoded. */
  mediaPerUser: RateLimit;
  /** Client reports (`POST /api/telemetry`) per user: the app sends one per 30 s per tab, and one when a page is hidden. */
  telemetryPerUser: RateLimit;
  /**
   * Direct loopback clients (no X-Forwarded-For/Forwarded header) skip the
   * per-address limits of sign-up, sign-in and requests (`registerPerIp`,
   * `loginPerIp`, `requestsPerIp`): local tools, tests and benchmarks register
   * many accounts and make many requests from 127.0.0.1. A proxied request is
   * never exempt, and neither is any per-user limit, the sign-in limit per
   * (username, address) or admin-token failures.
   */
  exemptLoopback: boolean;
}

/** Caps on live connections and on work in flight per connection. */
export interface ConnectionLimits {
  /** Live connections (ws, SSE, long-poll) per device across the cluster; one more closes the oldest. */
  perDevice: number;
  /** Live connections per user across the cluster; one more closes the oldest. */
  perUser: number;
  /** `pull`s one socket (or one user's HTTP requests, per process) may have in flight; more are refused at once. */
  pullsInFlight: number;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** `postgres://…` stores everything in PostgreSQL; null: the embedded SQLite database under dataDir. */
  databaseUrl: string | null;
  /**
   * `redis://…` links several processes into one Courier (server/cluster/):
   * live pushes, presence, closes and rate limits cross processes. null: one
   * process, everything in memory.
   */
  redisUrl: string | null;
  /** PostgreSQL connections per process (node-postgres pool). */
  databasePoolMax: number;
  /** Where the built SPA lives; served only if the folder exists. */
  webDir: string;
  /** Origins besides the server's own that may use cookie sessions. */
  allowedOrigins: string[];
  /**
   * Host names (lower case, IPv6 without brackets) that state-changing and streaming requests may
   * name besides loopback names, IP literals and the hosts of `allowedOrigins` (DNS rebinding).
   */
  allowedHosts: string[];
  /** Slow clients: the request head must arrive within `headersMs`, head and body within `requestMs` (then 408, closed). */
  timeouts: { headersMs: number; requestMs: number };
  ringCapacity: number;
  heartbeatMs: number;
  /** A long-polling device counts as live for its poll's `wait` plus this after the poll ended. */
  pollGraceMs: number;
  /** Retransmission schedule (server/sync/retransmit.ts); `lifetimeMs`: give up after this long without an ack. */
  retry: { baseMs: number; stepMs: number; maxMs: number; lifetimeMs: number };
  logLevel: LogLevel;
  /**
   * Honour X-Forwarded-* (only behind a reverse proxy you control): `true`
   * trusts every hop, a number trusts that many proxies in front of us (the
   * client can't then spoof its address past them).
   */
  trustProxy: boolean | number;
  rateLimits: RateLimits;
  connectionLimits: ConnectionLimits;
  /** Devices a user may have registered; registering one more forgets the least recently seen. */
  maxDevicesPerUser: number;
  /** How long after a message's `at` its sender may recall it (server/messages/lifecycle.ts). */
  recallWindowMs: number;
  /** Web Push (server/push/). */
  push: PushConfig;
  /** Bearer token of the admin API (`/api/admin/*`); null turns that API off (404). */
  adminToken: string | null;
  /** Bearer token of `GET /metrics` (env METRICS_TOKEN); null: only direct loopback clients may scrape. */
  metricsToken: string | null;
  /** Photos (server/media/, README "Photos"). */
  media: MediaConfig;
  /** Test-only fault injection routes (`/api/faults/*`, loopback only; server/testing/faults.ts). Never on a server people use. */
  faultInjection: boolean;
  /** This process's name in traces and the dashboard (env NODE_ID, default `hostname-pid`); unique per process in a cluster. */
  nodeId: string;
  /** The message trace (server/observability/trace.ts): flush period, rows waiting at most, how long rows are kept. */
  trace: TraceConfig;
  /** How often this process writes its metrics snapshot for the dashboard (env METRICS_PUBLISH_MS, default 2000; 0: never). */
  metricsPublishMs: number;
}

/** The message trace (env TRACE_FLUSH_MS, TRACE_BUFFER_MAX, TRACE_KEEP_MS; docs/observability.md "Trace"). */
export interface TraceConfig {
  /** Buffered trace rows are written every this many ms. */
  flushMs: number;
  /** Rows waiting at most; beyond, rows are dropped and counted (courier_trace_dropped_total). */
  bufferMax: number;
  /** Rows (and traces) are kept this long; older messages answer 404. */
  keepMs: number;
}

export const DEFAULT_TRACE_CONFIG: TraceConfig = { flushMs: 1000, bufferMax: 50_000, keepMs: 3_600_000 };

export interface MediaConfig {
  /** Where photo bytes live: a folder, or the database (chunks). null: the database with DATABASE_URL, else the folder. */
  store: "file" | "database" | null;
  /** The file store's folder; null: `DATA_DIR/media`. Setting it asserts it is shared by every process (MEDIA_STORE=file with REDIS_URL). */
  dir: string | null;
  /** Largest upload accepted, in bytes (413 past it, counted while streaming). */
  maxBytes: number;
  /** Largest image accepted, in pixels (width × height), so a small file can't decode into gigabytes. */
  maxPixels: number;
}

export const DEFAULT_MEDIA_CONFIG: MediaConfig = { store: null, dir: null, maxBytes: MEDIA_MAX_BYTES_DEFAULT, maxPixels: 50_000_000 };

export interface PushConfig {
  /** VAPID contact (the JWT's `sub`): a `mailto:` address or an `https:` URL. */
  subject: string;
  /** Push endpoint hosts accepted besides public addresses (lower case, IPv6 without brackets). */
  allowHosts: string[];
  /** Notifications for one (device, conversation) within this many ms go out as one. */
  windowMs: number;
  /** Push requests in flight at once, per process. */
  concurrency: number;
  /** Tries per push request, the first included; only 429 and 5xx answers are retried. */
  maxAttempts: number;
  /** Marketing pushes per user per UTC day; more are dropped (and counted). */
  marketingDailyQuota: number;
}

/**
 * The default works with Chrome's and Firefox's push services; Apple's rejects
 * a localhost contact, so a real deployment sets PUSH_SUBJECT (the server
 * warns once at startup while it is the default).
 */
export const DEFAULT_PUSH_SUBJECT = "mailto:admin@localhost";
export const DEFAULT_PUSH_CONFIG: PushConfig = {
  subject: DEFAULT_PUSH_SUBJECT,
  allowHosts: [],
  windowMs: 1500,
  concurrency: 8,
  maxAttempts: 4,
  marketingDailyQuota: 1,
};

export const DEFAULT_RATE_LIMITS: RateLimits = {
  registerPerIp: { limit: 10, windowMs: 60_000 },
  loginPerIp: { limit: 20, windowMs: 60_000 },
  loginPerUsernameIp: { limit: 10, windowMs: 60_000 },
  // Far above a fast typist or an outbox flushing its queue; stops a runaway client.
  sendPerUser: { limit: 200, windowMs: 10_000 },
  conversationsPerUser: { limit: 60, windowMs: 3_600_000 },
  membersAddedPerUser: { limit: 500, windowMs: 3_600_000 },
  // A page load is ~20 requests; an office behind one address is many people.
  requestsPerIp: { limit: 1200, windowMs: 60_000 },
  // A burst of 1,000 meets it (protocol: Limits); 10 a second sustained is far above an app in use.
  requestsPerUser: { limit: 600, windowMs: 60_000 },
  itemsPerUser: { limit: 30, windowMs: 3_600_000 },
  settingsPerUser: { limit: 120, windowMs: 3_600_000 },
  adminFailuresPerIp: { limit: 20, windowMs: 3_600_000 },
  // Far above someone reporting what they meet; stops one account flooding the admins' list.
  reportsPerUser: { limit: 20, windowMs: 3_600_000 },
  // Far above a seller photographing listings or a chat full of photos; each one costs a decode and two encodes.
  mediaPerUser: { limit: 300, windowMs: 3_600_000 },
  // Two a minute per tab plus one each time a page is hidden: room for a few tabs; a script gets 429.
  telemetryPerUser: { limit: 6, windowMs: 60_000 },
  exemptLoopback: true,
};
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { perDevice: 10, perUser: 50, pullsInFlight: 4 };
export const DEFAULT_MAX_DEVICES_PER_USER = 100;

export class ConfigError extends Error {
  override name = "ConfigError";
}

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((v) => v ?? fallback);

/** An origin is scheme://host[:port] with nothing after it. */
function normaliseOrigin(text: string): string | null {
  try {
    const url = new URL(text);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    if (url.pathname !== "/" || url.search || url.hash || url.username) return null;
    return url.origin;
  } catch {
    return null;
  }
}

/** A VAPID subject: `mailto:someone@host` or an `https:` URL (RFC 8292 §2.1). */
export function isValidPushSubject(text: string): boolean {
  if (text.startsWith("mailto:")) return /^mailto:[^\s@<>",;:]+@[A-Za-z0-9.-]+$/.test(text);
  try {
    const url = new URL(text);
    return url.protocol === "https:" && !url.username && !url.password && url.hostname.length > 0;
  } catch {
    return false;
  }
}

/** A host as the push validator compares it: lower case, no IPv6 brackets, no trailing dot. */
export function normaliseHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** A comma-separated list of host names or IP addresses, normalised (normaliseHost). */
const hostList = z
  .string()
  .optional()
  .transform((text, ctx) => {
    const hosts: string[] = [];
    for (const part of (text ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
      const host = normaliseHost(part);
      if (!HOSTNAME.test(host) && isIP(host) === 0) {
        ctx.addIssue({ code: "custom", message: `"${part}" is not a host name or IP address (no scheme, port or path)` });
        return z.NEVER;
      }
      hosts.push(host);
    }
    return hosts;
  });

/** A process name (NODE_ID): safe in a label, a log line and a database row. */
const NODE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The default NODE_ID: `hostname-pid`, cut to 64 characters and cleaned to NODE_ID's alphabet. */
export function defaultNodeId(host: string = hostname(), pid: number = process.pid): string {
  const suffix = `-${pid}`;
  const name = host.replace(/[^A-Za-z0-9._:-]/g, "_").slice(0, 64 - suffix.length) || "node";
  return name + suffix;
}

const envSchema = z.object({
  PORT: int(3000, 0, 65535),
  HOST: z.string().trim().min(1).optional().default("0.0.0.0"),
  DATA_DIR: z.string().trim().min(1).optional().default("./data"),
  WEB_DIR: z.string().trim().min(1).optional().default("./dist/web"),
  DATABASE_URL: z
    .string()
    .trim()
    .optional()
    .transform((url) => url || null)
    .refine((url) => url === null || /^postgres(ql)?:\/\/\S+$/i.test(url), "must be a postgres:// URL, or unset for the embedded database"),
  DATABASE_POOL_MAX: int(10, 1, 1000),
  REDIS_URL: z
    .string()
    .trim()
    .optional()
    .transform((url) => url || null)
    .refine((url) => url === null || /^rediss?:\/\/\S+$/i.test(url), "must be a redis:// or rediss:// URL, or unset for a single process"),
  ALLOWED_ORIGINS: z
    .string()
    .optional()
    .transform((text, ctx) => {
      const origins: string[] = [];
      for (const part of (text ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
        const origin = normaliseOrigin(part);
        if (!origin) {
          ctx.addIssue({ code: "custom", message: `"${part}" is not an origin like https://chat.example.com` });
          return z.NEVER;
        }
        origins.push(origin);
      }
      return origins;
    }),
  ALLOWED_HOSTS: hostList,
  HEADERS_TIMEOUT_MS: int(10_000, 100, 600_000),
  REQUEST_TIMEOUT_MS: int(20_000, 100, 3_600_000),
  RING_CAPACITY: int(2000, 1, 1_000_000),
  HEARTBEAT_MS: int(25_000, 1000, 600_000),
  RETRY_BASE_MS: int(2000, 100, 600_000),
  RETRY_STEP_MS: int(2000, 0, 600_000),
  RETRY_MAX_MS: int(30_000, 100, 3_600_000),
  RETRY_LIFETIME_MS: int(300_000, 1000, 86_400_000),
  LOG_LEVEL: z.enum(LOG_LEVELS).optional().default("info"),
  TRUST_PROXY: z
    .string()
    .trim()
    .regex(/^(true|false|\d{1,2})$/, "must be true, false or the number of proxies in front of the server")
    .optional()
    .transform((v): boolean | number => {
      if (v === undefined || v === "false" || v === "0") return false;
      return v === "true" ? true : Number(v);
    }),
  RATE_REGISTER_PER_MIN: int(DEFAULT_RATE_LIMITS.registerPerIp.limit, 0, 1_000_000),
  RATE_LOGIN_PER_MIN: int(DEFAULT_RATE_LIMITS.loginPerIp.limit, 0, 1_000_000),
  RATE_LOGIN_USER_PER_MIN: int(DEFAULT_RATE_LIMITS.loginPerUsernameIp.limit, 0, 1_000_000),
  RATE_SEND_PER_10S: int(DEFAULT_RATE_LIMITS.sendPerUser.limit, 0, 1_000_000),
  RATE_CONVERSATIONS_PER_HOUR: int(DEFAULT_RATE_LIMITS.conversationsPerUser.limit, 0, 1_000_000),
  RATE_MEMBERS_ADDED_PER_HOUR: int(DEFAULT_RATE_LIMITS.membersAddedPerUser.limit, 0, 1_000_000),
  RATE_REQUESTS_PER_IP_PER_MIN: int(DEFAULT_RATE_LIMITS.requestsPerIp.limit, 0, 100_000_000),
  RATE_REQUESTS_PER_USER_PER_MIN: int(DEFAULT_RATE_LIMITS.requestsPerUser.limit, 0, 100_000_000),
  RATE_ITEMS_PER_HOUR: int(DEFAULT_RATE_LIMITS.itemsPerUser.limit, 0, 1_000_000),
  RATE_SETTINGS_PER_HOUR: int(DEFAULT_RATE_LIMITS.settingsPerUser.limit, 0, 1_000_000),
  RATE_ADMIN_FAILURES_PER_HOUR: int(DEFAULT_RATE_LIMITS.adminFailuresPerIp.limit, 0, 1_000_000),
  RATE_REPORTS_PER_HOUR: int(DEFAULT_RATE_LIMITS.reportsPerUser.limit, 0, 1_000_000),
  RATE_MEDIA_PER_HOUR: int(DEFAULT_RATE_LIMITS.mediaPerUser.limit, 0, 1_000_000),
  RATE_TELEMETRY_PER_MIN: int(DEFAULT_RATE_LIMITS.telemetryPerUser.limit, 0, 1_000_000),
  MEDIA_STORE: z.enum(["file", "database"]).optional(),
  MEDIA_DIR: z.string().trim().min(1).optional(),
  MEDIA_MAX_BYTES: int(DEFAULT_MEDIA_CONFIG.maxBytes, 1024, 1024 * 1024 * 1024),
  MEDIA_MAX_PIXELS: int(DEFAULT_MEDIA_CONFIG.maxPixels, 1, 268_402_689),
  MAX_CONNECTIONS_PER_DEVICE: int(DEFAULT_CONNECTION_LIMITS.perDevice, 1, 100_000),
  MAX_CONNECTIONS_PER_USER: int(DEFAULT_CONNECTION_LIMITS.perUser, 1, 1_000_000),
  MAX_PULLS_IN_FLIGHT: int(DEFAULT_CONNECTION_LIMITS.pullsInFlight, 1, 1000),
  RATE_LIMIT_LOOPBACK: z
    .enum(["true", "false", "1", "0"])
    .optional()
    .transform((v) => v === "true" || v === "1"),
  MAX_DEVICES_PER_USER: int(DEFAULT_MAX_DEVICES_PER_USER, 1, 100_000),
  RECALL_WINDOW_MS: int(RECALL_WINDOW_MS_DEFAULT, 0, 86_400_000),
  PUSH_SUBJECT: z
    .string()
    .trim()
    .refine(isValidPushSubject, "must be a mailto: address (mailto:admin@example.com) or an https: URL")
    .optional()
    .default(DEFAULT_PUSH_CONFIG.subject),
  PUSH_ALLOW_HOSTS: hostList,
  PUSH_WINDOW_MS: int(DEFAULT_PUSH_CONFIG.windowMs, 0, 60_000),
  PUSH_CONCURRENCY: int(DEFAULT_PUSH_CONFIG.concurrency, 1, 256),
  PUSH_MAX_ATTEMPTS: int(DEFAULT_PUSH_CONFIG.maxAttempts, 1, 10),
  MARKETING_DAILY_QUOTA: int(DEFAULT_PUSH_CONFIG.marketingDailyQuota, 0, 1000),
  FAULT_INJECTION: z
    .enum(["1", "0", "true", "false"])
    .optional()
    .transform((v) => v === "1" || v === "true"),
  ADMIN_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9_\-.~+/=]{16,200}$/, "must be 16 to 200 characters of A-Z a-z 0-9 _ - . ~ + / = (e.g. openssl rand -base64 32)")
    .optional(),
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,200}$/, "must be 16 to 200 visible ASCII characters, no spaces (e.g. openssl rand -base64 32)")
    .optional(),
  TRACE_FLUSH_MS: int(DEFAULT_TRACE_CONFIG.flushMs, 10, 60_000),
  TRACE_BUFFER_MAX: int(DEFAULT_TRACE_CONFIG.bufferMax, 0, 10_000_000),
  TRACE_KEEP_MS: int(DEFAULT_TRACE_CONFIG.keepMs, 60_000, 30 * 86_400_000),
  NODE_ID: z.string().trim().regex(NODE_ID, "must be 1 to 64 characters of A-Z a-z 0-9 . _ : - (unique per process)").optional(),
  METRICS_PUBLISH_MS: int(2000, 0, 30_000),
});

/** Reads the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "not set" (a common result of `FOO= npm start`).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = result.data;
  if (e.RETRY_MAX_MS < e.RETRY_BASE_MS) {
    throw new ConfigError("Invalid configuration:\n  RETRY_MAX_MS: must not be below RETRY_BASE_MS");
  }
  if (e.RETRY_LIFETIME_MS < e.RETRY_BASE_MS) {
    throw new ConfigError("Invalid configuration:\n  RETRY_LIFETIME_MS: must not be below RETRY_BASE_MS");
  }
  // Every process must serve every photo: a folder of one machine can't, unless the operator says it is shared.
  // (Processes on SQLite share one DATA_DIR, so DATA_DIR/media too.)
  if (e.MEDIA_STORE === "file" && e.DATABASE_URL && e.REDIS_URL && !e.MEDIA_DIR) {
    throw new ConfigError(
      "Invalid configuration:\n  MEDIA_STORE: file with several processes (REDIS_URL) needs MEDIA_DIR on storage every process shares; or use MEDIA_STORE=database",
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    webDir: e.WEB_DIR,
    allowedOrigins: e.ALLOWED_ORIGINS,
    allowedHosts: e.ALLOWED_HOSTS,
    timeouts: { headersMs: e.HEADERS_TIMEOUT_MS, requestMs: e.REQUEST_TIMEOUT_MS },
    ringCapacity: e.RING_CAPACITY,
    heartbeatMs: e.HEARTBEAT_MS,
    pollGraceMs: POLL_GRACE_MS,
    retry: { baseMs: e.RETRY_BASE_MS, stepMs: e.RETRY_STEP_MS, maxMs: e.RETRY_MAX_MS, lifetimeMs: e.RETRY_LIFETIME_MS },
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    rateLimits: {
      registerPerIp: { limit: e.RATE_REGISTER_PER_MIN, windowMs: 60_000 },
      loginPerIp: { limit: e.RATE_LOGIN_PER_MIN, windowMs: 60_000 },
      loginPerUsernameIp: { limit: e.RATE_LOGIN_USER_PER_MIN, windowMs: 60_000 },
      sendPerUser: { limit: e.RATE_SEND_PER_10S, windowMs: 10_000 },
      conversationsPerUser: { limit: e.RATE_CONVERSATIONS_PER_HOUR, windowMs: 3_600_000 },
      membersAddedPerUser: { limit: e.RATE_MEMBERS_ADDED_PER_HOUR, windowMs: 3_600_000 },
      requestsPerIp: { limit: e.RATE_REQUESTS_PER_IP_PER_MIN, windowMs: 60_000 },
      requestsPerUser: { limit: e.RATE_REQUESTS_PER_USER_PER_MIN, windowMs: 60_000 },
      itemsPerUser: { limit: e.RATE_ITEMS_PER_HOUR, windowMs: 3_600_000 },
      settingsPerUser: { limit: e.RATE_SETTINGS_PER_HOUR, windowMs: 3_600_000 },
      adminFailuresPerIp: { limit: e.RATE_ADMIN_FAILURES_PER_HOUR, windowMs: 3_600_000 },
      reportsPerUser: { limit: e.RATE_REPORTS_PER_HOUR, windowMs: 3_600_000 },
      mediaPerUser: { limit: e.RATE_MEDIA_PER_HOUR, windowMs: 3_600_000 },
      telemetryPerUser: { limit: e.RATE_TELEMETRY_PER_MIN, windowMs: 60_000 },
      exemptLoopback: !e.RATE_LIMIT_LOOPBACK,
    },
    connectionLimits: { perDevice: e.MAX_CONNECTIONS_PER_DEVICE, perUser: e.MAX_CONNECTIONS_PER_USER, pullsInFlight: e.MAX_PULLS_IN_FLIGHT },
    maxDevicesPerUser: e.MAX_DEVICES_PER_USER,
    recallWindowMs: e.RECALL_WINDOW_MS,
    push: {
      subject: e.PUSH_SUBJECT,
      allowHosts: e.PUSH_ALLOW_HOSTS,
      windowMs: e.PUSH_WINDOW_MS,
      concurrency: e.PUSH_CONCURRENCY,
      maxAttempts: e.PUSH_MAX_ATTEMPTS,
      marketingDailyQuota: e.MARKETING_DAILY_QUOTA,
    },
    adminToken: e.ADMIN_TOKEN ?? null,
    metricsToken: e.METRICS_TOKEN ?? null,
    media: { store: e.MEDIA_STORE ?? null, dir: e.MEDIA_DIR ?? null, maxBytes: e.MEDIA_MAX_BYTES, maxPixels: e.MEDIA_MAX_PIXELS },
    faultInjection: e.FAULT_INJECTION,
    nodeId: e.NODE_ID ?? defaultNodeId(),
    trace: { flushMs: e.TRACE_FLUSH_MS, bufferMax: e.TRACE_BUFFER_MAX, keepMs: e.TRACE_KEEP_MS },
    metricsPublishMs: e.METRICS_PUBLISH_MS,
  };
}

/** Defaults from the environment, overridden by what a caller (a test) passes. */
export function resolveConfig(overrides: Partial<Config> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const base = loadConfig(env);
  const merged = { ...base, ...overrides };
  merged.allowedOrigins = merged.allowedOrigins.map((o) => normaliseOrigin(o) ?? o);
  merged.allowedHosts = merged.allowedHosts.map(normaliseHost);
  merged.push = { ...merged.push, allowHosts: merged.push.allowHosts.map(normaliseHost) };
  return merged;
}
