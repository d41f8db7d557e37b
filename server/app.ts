import type { IncomingMessage, ServerResponse } from "node:http";
import fastifyCookie from "@fastify/cookie";
import Fastify, { type FastifyInstance } from "fastify";
import { POLL_WAIT_MAX_MS, SOCKET_PATH } from "../shared/protocol/index.js";
import { adminRoutes } from "./admin/routes.js";
import { accountRoutes } from "./auth/account-routes.js";
import { authRoutes } from "./auth/routes.js";
import { type Config, resolveConfig } from "./config.js";
import type { Context } from "./context.js";
import { conversationRoutes } from "./conversations/routes.js";
import { deviceRoutes } from "./devices/routes.js";
import { BODY_LIMIT, installJsonBody } from "./http/body.js";
import { clientErrorHandler } from "./http/client-errors.js";
import { countErrors, installErrorHandler, mapError, restarting, sendError } from "./http/errors.js";
import { ReadLimits, readRules } from "./http/in-flight-limit.js";
import { loggerOptions } from "./http/logger.js";
import { hostGuard } from "./http/origin.js";
import { Limits, proxyTrust } from "./http/rate-limit.js";
import { installRequestLimits } from "./http/request-limits.js";
import { builtInlineScripts, installSecurityHeaders, setSecurityHeaders } from "./http/security-headers.js";
import { installSpa } from "./http/spa.js";
import { itemRoutes } from "./items/routes.js";
import { mediaRoutes } from "./media/routes.js";
import { createMediaStore } from "./media/store.js";
import { messageRoutes } from "./messages/routes.js";
import { offerRoutes } from "./offers/routes.js";
import { orderRoutes } from "./orders/routes.js";
import { PushFunnel } from "./push/funnel.js";
import { pushRoutes } from "./push/routes.js";
import { safetyRoutes } from "./safety/routes.js";
import { searchRoutes } from "./search/routes.js";
import { faultRoutes } from "./testing/faults.js";
import { PushService, type PushServiceOptions } from "./push/service.js";
import { openStorage } from "./storage/open.js";
import { SqliteEngine } from "./storage/sqlite/engine.js";
import type { Storage } from "./storage/storage.js";
import { type Cluster, createCluster } from "./cluster/cluster.js";
import { DeliveryMetrics } from "./sync/delivery-metrics.js";
import { AckQueue, ackSlots } from "./sync/ack-queue.js";
import { Events } from "./observability/events.js";
import { NodeSnapshots } from "./observability/node-metrics.js";
import { TraceRecorder } from "./observability/trace.js";
import { Metrics } from "./observability/metrics.js";
import { metricsRoutes } from "./observability/routes.js";
import { timedStorage } from "./observability/timed-storage.js";
import { hubEvents, publishedEvents } from "./observability/hub-events.js";
import { deliveryLog } from "./observability/log-events.js";
import { telemetryRoutes } from "./observability/telemetry-routes.js";
import { Hub } from "./sync/hub.js";
import { type SyncReader, syncReader } from "./sync/log.js";
import { Retransmitter } from "./sync/retransmit.js";
import { syncRoutes } from "./sync/routes.js";
import { applyAckTurn } from "./sync/service.js";
import { userRoutes } from "./users/routes.js";
import { pollRoutes } from "./transports/poll/routes.js";
import { presenceRoutes } from "./presence/routes.js";
import { sseRoutes } from "./transports/sse/routes.js";
import { attachWebSocket, closeWebSocket, type CourierIo } from "./transports/ws/ws-transport.js";

/**
 * How long a graceful stop waits for what is in flight: requests to finish (an upload, a send waiting on the
 * database) and WebSocket clients to take their close frames. Then it cuts what is left. With Web Push's
 * open windows after it (up to 3 s, push/service.ts) and storage's close, inside the 10 s after which
 * server.ts exits anyway.
 */
const SHUTDOWN_DRAIN_MS = 4000;

/** Idle connections kept for the next request; above nginx's 60 s upstream keepalive_timeout, so nginx closes first. */
const KEEP_ALIVE_MS = 72_000;

/**
 * Slow clients (slowloris): the request head must arrive within `headersMs`
 * and the whole request, body included, within `requestMs`, or Node answers
 * 408 and closes. Neither cuts SSE streams or parked long-polls: those are
 * GETs, fully received at once, and only their answers last. A socket silent
 * both ways (one that never sends a byte, a reader that stopped reading) is
 * dropped after `idleMs`, longer than the longest legitimate silence: a
 * parked poll (up to its wait) and an SSE stream (a ping every heartbeat).
 * WebSockets leave this timeout behind when they upgrade (ws clears it).
 */
export function httpTimeouts(config: Pick<Config, "timeouts" | "heartbeatMs">) {
  const { requestMs } = config.timeouts;
  const headersMs = Math.min(config.timeouts.headersMs, requestMs);
  return {
    requestMs,
    idleMs: Math.max(2 * config.heartbeatMs, POLL_WAIT_MAX_MS) + 30_000,
    /** http.createServer options. Node checks both deadlines every connectionsCheckingInterval (30 s by default), which would let a slow client overstay by that much. */
    node: { headersTimeout: headersMs, requestTimeout: requestMs, connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersMs / 4))) },
  };
}

export interface BuildOptions {
  config?: Partial<Config>;
  /** Injected storage is not closed by `close()`: its owner closes it. */
  storage?: Storage;
  clock?: () => number;
  /** false (default) for silence, true for the standard logger, or pino options. */
  logger?: boolean | object;
  /** In [0, 1); spreads the `retryAfterMs` clients get on shutdown. */
  random?: () => number;
  /** How long a graceful stop waits for requests in flight and WebSocket clients to take their close frames (default SHUTDOWN_DRAIN_MS). */
  shutdownDrainMs?: number;
  /** Web Push seams for tests: TLS agent, transport, retry sleep, window timers, host resolver. */
  push?: PushServiceOptions;
}

export interface Built {
  app: FastifyInstance;
  io: CourierIo;
  hub: Hub;
  storage: Storage;
  /** The entry log as transports read it (the same object as the context's). */
  sync: SyncReader;
  config: Config;
  /** Delivery counters (the same object as the context's). */
  delivery: DeliveryMetrics;
  /** Delivery events (the same object as the context's); listeners: metrics, trace. */
  events: Events;
  /** Prometheus metrics (the same object as the context's). */
  metrics: Metrics;
  /** This process's metrics snapshots for the dashboard (the same object as the context's); tests call `publish()`. */
  snapshots: NodeSnapshots;
  /** The message trace's recorder (the same object as the context's); tests call `flush()`. */
  trace: TraceRecorder;
  retransmit: Retransmitter;
  /** The link to other processes (or its single-process stand-in): bus, presence, healing. */
  cluster: Cluster;
  push: PushService;
  pushFunnel: PushFunnel;
  /** Starts a graceful shutdown: not ready, new requests 503, connections told to reconnect elsewhere. `close` drains first. */
  drain(): void;
  /** True once draining began (the same as the context's). */
  draining(): boolean;
  close(): Promise<void>;
}

/**
 * Assembles the server without listening: tests drive it with `inject()` or
 * `listen({port: 0})`; only server.ts listens for real.
 */
export async function build(opts: BuildOptions = {}): Promise<Built> {
  const config = resolveConfig(opts.config);
  // The security headers' policy: the hosts, and the built page's inline scripts (allowed by their hashes).
  const headerPolicy = { ...config, inlineScripts: builtInlineScripts(config.webDir) };
  const timeouts = httpTimeouts(config);

  const app = Fastify({
    logger: loggerOptions(config.logLevel, opts.logger, config.nodeId),
    bodyLimit: BODY_LIMIT,
    http: timeouts.node,
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: KEEP_ALIVE_MS,
    // The same trust the socket handshakes' per-address limit uses (rate-limit.ts).
    trustProxy: proxyTrust(config.trustProxy),
    // At close, idle keep-alive connections close at once; requests in flight finish (cut after SHUTDOWN_DRAIN_MS, in close below).
    forceCloseConnections: "idle",
    // While draining, requests get Courier's own 503 (below), with Retry-After.
    return503OnClosing: false,
    // What Node's parser refuses (timeouts, oversized heads, non-HTTP bytes) gets Courier's error shape and headers too.
    clientErrorHandler: clientErrorHandler(config),
    // Errors raised before routing (a malformed URL) bypass the error handler and the hooks; map them too.
    frameworkErrors: (err, req, reply) => {
      setSecurityHeaders(req.raw, reply.raw, headerPolicy);
      return sendError(reply, mapError(err));
    },
  });
  // First of the observability parts: the trace and the dashboard take its registry. Error responses are counted by code.
  const metrics = new Metrics();
  countErrors(app, (code) => metrics.error(code));
  const ownsStorage = !opts.storage;
  const opened = opts.storage ?? (await openStorage(config, app.log));
  // Every read and write transaction timed (courier_db_seconds): a view of the same storage, listeners and all.
  const storage = timedStorage(opened, (op, ms) => metrics.dbTime(opened.kind, op, ms));
  const sync = syncReader(storage);
  // One process, or one of many linked through Redis (REDIS_URL): the hub publishes through the cluster's bus.
  const cluster = createCluster(config, app.log);
  const hub = new Hub(cluster.bus, app.log, { random: opts.random });
  // The one place committed entries go out: to live connections (and, through the hub, to Web Push).
  storage.onCommit((appended) => hub.publish(appended));
  const clock = opts.clock ?? Date.now;
  const warned = new Set<string>();
  const delivery = new DeliveryMetrics();
  const events = new Events(app.log);
  events.listen(metrics.listener);
  // The message trace: delivery events become trace_events rows, written once per TRACE_FLUSH_MS (docs/observability.md).
  const trace = new TraceRecorder({ storage, nodeId: config.nodeId, config: config.trace, clock, log: app.log, registry: metrics.registry });
  events.listen(trace.listener);
  // Debug lines per delivery event (LOG_LEVEL=debug); one level check per event otherwise.
  events.listen(deliveryLog(app.log.child({ component: "delivery" })));
  const retransmit = new Retransmitter({
    storage: sync,
    hub,
    offline: () => ctx.offline,
    metrics: delivery,
    schedule: config.retry,
    clock,
    log: app.log,
    events,
  });
  hub.observe(retransmit);
  // Delivery events: first pushes (re-pushes: the retransmitter), and messages posted and reads, once per commit.
  hub.observe(hubEvents(events, clock));
  hub.onPublish(publishedEvents(events));
  const pushFunnel = new PushFunnel();
  // This process's row in node_metrics, for the dashboard (docs/observability.md, "Across processes").
  const snapshots = new NodeSnapshots({ registry: metrics.registry, storage, node: config.nodeId, clock, publishMs: config.metricsPublishMs, log: app.log });
  const push = new PushService({ storage, sync, hub, presence: cluster, redis: cluster.link, config: config.push, clock, funnel: pushFunnel, log: app.log, events }, opts.push);
  hub.observe(push.hubObserver);
  // What /metrics reads at scrape time instead of counting twice; Redis's latency by a PING every 10 s.
  const engine = opened.engine;
  metrics.readFrom({ delivery, pushFunnel, hub, wal: engine instanceof SqliteEngine ? () => engine.walHealth : undefined });
  const link = cluster.link;
  if (link) metrics.watchRedis(() => link.ping());
  await cluster.start({ hub, sync, storage, clock });
  let draining = false;
  const ctx: Context = {
    config,
    cluster,
    storage,
    sync,
    hub,
    offline: push,
    push,
    pushFunnel,
    events,
    metrics,
    snapshots,
    trace,
    delivery,
    retransmit,
    media: createMediaStore(config, storage),
    clock,
    draining: () => draining,
    limits: new Limits(config.rateLimits, clock, cluster.link, app.log),
    reads: new ReadLimits(readRules(config)),
    acks: new AckQueue(ackSlots(config), (turn) => applyAckTurn(ctx, turn)),
    warnOnce(key, details, message) {
      if (warned.has(key)) return;
      warned.add(key);
      app.log.warn(details, message);
    },
  };

  hub.onPublish((appended) => ctx.offline.appended(appended));

  // First: every response carries them, whatever answers it.
  installSecurityHeaders(app, headerPolicy);
  // State changes and streams must name one of our hosts (DNS rebinding).
  app.addHook("onRequest", hostGuard(config, ctx.warnOnce));
  installJsonBody(app);
  installErrorHandler(app);
  await app.register(fastifyCookie);
  // Liveness, for the e2e runner and benchmarks: answers once storage is open, also while a dependency is down.
  app.get("/api/health", async () => ({ ok: true }));
  // A draining process answers new requests at once; the load balancer retries them on another.
  app.addHook("onRequest", async (req) => {
    if (draining && req.url !== "/api/ready") throw restarting();
  });
  // While draining, every answer (a request in flight finishing, a refusal) ends its connection: the client's next
  // request opens one that the load balancer gives to another process, and this one's close need not wait for it.
  app.addHook("onSend", (_req, reply, payload, done) => {
    if (draining) reply.header("connection", "close");
    done(null, payload);
  });
  // Per client address, every request (http/request-limits.ts).
  installRequestLimits(app, ctx);
  // Readiness, for load balancers: the database answers and the process is not draining. Redis is
  // reported but does not count: without it this process still serves everything (docs/cluster.md),
  // and taking every process out of rotation at once would turn a degraded cluster into an outage.
  app.get("/api/ready", async (_req, reply) => {
    const [database, redis] = await Promise.all([storage.ping().then((ok) => (ok ? "up" : "down")), cluster.redisStatus()]);
    const ready = !draining && database === "up";
    reply.header("cache-control", "no-store").code(ready ? 200 : 503);
    return { ready, database, redis, draining };
  });

  // The VAPID key pair is created on the very first start and kept in storage.
  await push.start();
  for (const feature of [authRoutes, accountRoutes, userRoutes, deviceRoutes, itemRoutes, conversationRoutes, messageRoutes, searchRoutes, orderRoutes, offerRoutes, syncRoutes, sseRoutes, pollRoutes, pushRoutes, adminRoutes, safetyRoutes, presenceRoutes, mediaRoutes]) {
    await app.register(feature, { ctx });
  }
  // What the web app reports (POST /api/telemetry): feeds the courier_client_* metrics through ctx.events.
  await app.register(telemetryRoutes, { ctx });
  // GET /metrics: METRICS_TOKEN, else direct loopback clients only.
  await app.register(metricsRoutes, { ctx });
  if (config.faultInjection) await app.register(faultRoutes, { ctx });
  await installSpa(app, config.webDir);

  const io = attachWebSocket(ctx, app.server, app.log);
  snapshots.start();
  // socket.io answers its own HTTP requests (handshakes, refusals) before Fastify sees them; this listener runs first.
  app.server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith(`${SOCKET_PATH}/`)) setSecurityHeaders(req, res, headerPolicy);
  });
  /**
   * Stops taking work: readiness and new requests answer 503 (the load
   * balancer moves them), and every live connection is told to come back
   * after its own jittered delay, which lands it on another process.
   */
  const drain = () => {
    draining = true;
    // Before the hub: connections ended by shutdown are neither retried nor handed over.
    retransmit.close();
    hub.closeWhere(() => true, "shutdown");
  };
  const drainMs = opts.shutdownDrainMs ?? SHUTDOWN_DRAIN_MS;
  app.addHook("preClose", () => closeWebSocket(io, { tell: drain, drainMs }));

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      metrics.close();
      // Node's close waits for requests in flight; one still running at the deadline is cut (the client retries elsewhere).
      const cut = setTimeout(() => app.server.closeAllConnections(), drainMs);
      try {
        await app.close();
      } finally {
        clearTimeout(cut);
      }
      // Acks already taken (socket acks are not HTTP requests app.close waits for) are written before storage goes.
      await ctx.acks.close();
      // Open collapse windows are sent (briefly), sends in flight end, before storage goes.
      await push.close();
      await cluster.close();
      // Trace rows still buffered are written before storage goes.
      await trace.close();
      await snapshots.close();
      if (ownsStorage) await storage.close();
    })();
    return closing;
  };
  return { app, io, hub, storage, sync, config, cluster, delivery, events, metrics, snapshots, trace, retransmit, push, pushFunnel, drain, draining: ctx.draining, close };
}
