import type { Cluster } from "./cluster/cluster.js";
import type { Config } from "./config.js";
import type { ReadLimits } from "./http/in-flight-limit.js";
import type { Limits } from "./http/rate-limit.js";
import type { MediaStore } from "./media/store.js";
import type { DeliveryEvents } from "./observability/events.js";
import type { Metrics } from "./observability/metrics.js";
import type { NodeSnapshots } from "./observability/node-metrics.js";
import type { TraceRecorder } from "./observability/trace.js";
import type { PushFunnel } from "./push/funnel.js";
import type { PushService } from "./push/service.js";
import type { Storage } from "./storage/storage.js";
import type { AckQueue } from "./sync/ack-queue.js";
import type { SyncReader } from "./sync/log.js";
import type { DeliveryMetrics } from "./sync/delivery-metrics.js";
import type { Hub } from "./sync/hub.js";
import type { OfflineChannel } from "./sync/offline-channel.js";
import type { Retransmitter } from "./sync/retransmit.js";

/**
 * What every feature gets injected: no feature imports the app or another
 * feature's internals, so each can be tested with its own fakes.
 */
export interface Context {
  config: Config;
  /** The link to other processes (bus, presence, healing), or its stand-in on a single process. */
  cluster: Cluster;
  /** Reads and writes (rules run inside `storage.write`); committed entries reach the hub by themselves. */
  storage: Storage;
  /** The entry log as transports read it: heads, pages, a device's acks. */
  sync: SyncReader;
  hub: Hub;
  /** Where entries for devices without a live connection go (Web Push). */
  offline: OfflineChannel;
  /** Delivery events (stored, pushed, pulled, acked, handed over, notified, read…): metrics and the message trace listen (docs/observability.md). */
  events: DeliveryEvents;
  /** Prometheus metrics of this process (`GET /metrics`): its registry, error and latency counting. */
  metrics: Metrics;
  /** This process's metrics snapshots: published to `node_metrics` for the dashboard, and taken fresh when it asks. */
  snapshots: NodeSnapshots;
  /** The message trace (trace_events): a delivery-events listener; `flush()` writes what is buffered. */
  trace: TraceRecorder;
  /** Acks on their way to the database: one write at a time per device, waiting acks merged, a cap on ack writes at once (sync/ack-queue.ts). */
  acks: AckQueue;
  /** Delivery counters of this process (pushes, acks, retries, hand-overs, dead connections). */
  delivery: DeliveryMetrics;
  /** Re-pushes unacked entries to devices live on ws/sse here; told of every applied ack. */
  retransmit: Retransmitter;
  /** Web Push (the same object as `offline`): VAPID key, subscription checks, routing and sending. */
  push: PushService;
  /** Web Push funnel counters of this process: requested → accepted → displayed → clicked, drops and rejections. */
  pushFunnel: PushFunnel;
  /** Where photo bytes live (server/media/store.ts): a folder or the database. */
  media: MediaStore;
  /** Epoch ms; injected so tests control time. */
  clock: () => number;
  /** Rate limiters: per cluster in Redis when REDIS_URL is set (on Redis's clock), else in memory on `clock`; per process while Redis is down. */
  limits: Limits;
  /** Reads of many entries (pulls over every transport, snapshots): held per user and taking turns on this process (http/in-flight-limit.ts). */
  reads: ReadLimits;
  /** True once this process has begun a graceful stop: new requests and handshakes are refused (`restarting()`). */
  draining(): boolean;
  /** Logs a warning the first time `key` comes up in this app, and never again. Never pass secrets. */
  warnOnce(key: string, details: object, message: string): void;
}

/** Fastify plugin options carrying the context. */
export interface FeatureOptions {
  ctx: Context;
}
