import type { Config } from "../config.js";
import { PostgresEngine } from "./postgres/engine.js";
import { SqliteEngine } from "./sqlite/engine.js";
import { Storage } from "./storage.js";

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The engine the configuration asks for: PostgreSQL for a `postgres://` DATABASE_URL, else SQLite under DATA_DIR. */
export async function openStorage(config: Pick<Config, "databaseUrl" | "dataDir" | "ringCapacity"> & Partial<Pick<Config, "databasePoolMax">>, log: Logger): Promise<Storage> {
  const engine =
    config.databaseUrl !== null
      ? await PostgresEngine.open({ url: config.databaseUrl, ringCapacity: config.ringCapacity, poolSize: config.databasePoolMax, log })
      : SqliteEngine.open({ dataDir: config.dataDir, ringCapacity: config.ringCapacity });
  return new Storage(engine, (err) => log.error({ err }, "publishing committed entries failed"));
}
