import { randomBytes } from "node:crypto";
import net from "node:net";
import pg from "pg";
import type { PgLog } from "./db.js";
import { PostgresEngine, type PostgresOptions } from "./engine.js";

/**
 * Helpers for the engine's tests: they run against a real PostgreSQL, one
 * throwaway schema per test. Not a test file itself.
 */

/** A superuser URL (database `postgres`); the tests fail, never skip, without one. */
export function databaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error("Set TEST_DATABASE_URL or run the tests through npm test, which starts PostgreSQL.");
  return url;
}

export function schemaName(): string {
  return `t_${randomBytes(6).toString("hex")}`;
}

/** Collects what the engine logs, so tests can count migrations and warnings. */
export class MemoryLog implements PgLog {
  readonly lines: { level: "warn" | "info"; msg: string; obj: object }[] = [];
  warn(obj: object, msg: string): void {
    this.lines.push({ level: "warn", msg, obj });
  }
  info(obj: object, msg: string): void {
    this.lines.push({ level: "info", msg, obj });
  }
  count(level: "warn" | "info", pattern: RegExp): number {
    return this.lines.filter((l) => l.level === level && pattern.test(l.msg)).length;
  }
}

/** A plain pool whose connections use `schema` (created if missing). */
export async function schemaPool(schema: string, url = databaseUrl()): Promise<pg.Pool> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } finally {
    await admin.end();
  }
  return new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema}` });
}

export async function dropSchema(schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.end();
  }
}

/** Opens engines on fresh schemas and cleans all of them up. */
export class Engines {
  private readonly opened: PostgresEngine[] = [];
  readonly schemas: string[] = [];
  readonly log = new MemoryLog();

  async open(opts: Partial<PostgresOptions> = {}): Promise<PostgresEngine> {
    const schema = opts.schema ?? schemaName();
    if (!this.schemas.includes(schema)) this.schemas.push(schema);
    const engine = await PostgresEngine.open({ url: databaseUrl(), ringCapacity: 2000, log: this.log, ...opts, schema });
    this.opened.push(engine);
    return engine;
  }

  async cleanup(): Promise<void> {
    for (const engine of this.opened.splice(0)) await engine.close();
    for (const schema of this.schemas.splice(0)) await dropSchema(schema);
  }
}

/**
 * A TCP proxy in front of PostgreSQL: `down()` cuts every connection and
 * refuses new ones (as a stopped server does), `up()` lets them through again.
 * Lets a test take "the database" away without stopping the shared server.
 */
export class Proxy {
  private server: net.Server | null = null;
  private holes: Set<net.Socket> | null = null;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket; silent: boolean }>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  static forDatabase(): Proxy {
    const url = new URL(databaseUrl());
    return new Proxy({ host: url.hostname || "127.0.0.1", port: Number(url.port || 5432) });
  }

  /** TEST_DATABASE_URL pointed at the proxy. */
  url(): string {
    const url = new URL(databaseUrl());
    url.hostname = "127.0.0.1";
    url.port = String(this.port);
    return url.toString();
  }

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      if (this.holes !== null) {
        // Accepted, never answered.
        this.holes.add(client.on("error", () => client.destroy()));
        return;
      }
      const upstream = net.connect(this.target.port, this.target.host);
      const pair = { client, upstream, silent: false };
      this.pairs.add(pair);
      const close = () => {
        if (pair.silent) return;
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on("error", close).on("close", close);
      upstream.on("error", close).on("close", close);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /**
   * The database stops answering without closing anything (a paused server, a
   * partition): open connections carry nothing more, new ones are accepted
   * and never answered. Until `down()`.
   */
  blackhole(): void {
    this.holes = new Set();
    for (const pair of this.pairs) {
      pair.client.unpipe(pair.upstream);
      pair.upstream.unpipe(pair.client);
      pair.client.pause();
      pair.upstream.pause();
    }
  }

  /**
   * Breaks every open connection without telling the client: the server side
   * goes, the client side stays open until the client next writes, which is
   * then refused (a NAT or balancer that forgot the connection).
   */
  breakSilently(): void {
    for (const pair of this.pairs) {
      pair.silent = true;
      pair.client.unpipe(pair.upstream);
      pair.upstream.unpipe(pair.client);
      pair.upstream.destroy();
      pair.client.on("data", () => pair.client.destroy()).resume();
      this.pairs.delete(pair);
    }
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    for (const socket of this.holes ?? []) socket.destroy();
    this.holes = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A free port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
