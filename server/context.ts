import type { Config } from "./config.js";
import type { Limits } from "./http/rate-limit.js";
import type { Storage } from "./storage/storage.js";
import type { Hub } from "./sync/hub.js";
import type { OfflineChannel } from "./sync/offline-channel.js";

/**
 * What every feature gets injected: no feature imports the app or another
 * feature's internals, so each can be tested with its own fakes.
 */
export interface Context {
  config: Config;
  storage: Storage;
  hub: Hub;
  /** Where entries for devices without a live connection go (Web Push). */
  offline: OfflineChannel;
  /** Epoch ms; injected so tests control time. */
  clock: () => number;
  /** Rate limiters (in memory, on `clock`). */
  limits: Limits;
  /** Logs a warning the first time `key` comes up in this app, and never again. Never pass secrets. */
  warnOnce(key: string, details: object, message: string): void;
}

/** Fastify plugin options carrying the context. */
export interface FeatureOptions {
  ctx: Context;
}
