import { createServer, type Server } from "node:http";
import { build, httpTimeouts } from "./app.js";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { setSecurityHeaders } from "./http/security-headers.js";

/**
 * The only place that listens. Configuration errors end the process with a
 * readable message; SIGINT/SIGTERM close sockets, then HTTP, then storage.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }

  // Until storage is open (PostgreSQL may be unreachable: opening retries), the port answers "not ready".
  const starting = config.port === 0 ? null : await answerStarting(config);
  const server = await build({ config, logger: true });
  const { app } = server;

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, "shutting down");
    // A stuck connection must not keep the process alive forever.
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  if (starting) {
    const closed = new Promise<void>((resolve) => starting.close(() => resolve()));
    starting.closeAllConnections();
    await closed;
  }
  const address = await app.listen({ port: config.port, host: config.host });
  // PORT=0 lets the system choose (no race for a free port): say which, for whoever started us (tests, the e2e runner).
  if (config.port === 0) console.info(`Courier listening on ${address}`);
}

/**
 * A stand-in on the server's port while it starts: every request (health and
 * readiness included) gets 503 `unavailable` with Retry-After, so a load
 * balancer keeps this process out of rotation rather than finding nothing
 * there, and a person sees why.
 */
async function answerStarting(config: Config): Promise<Server> {
  const body = JSON.stringify({ error: { code: "unavailable", message: "Courier is starting: its database is not reachable yet; try again shortly." } });
  const stand = createServer(httpTimeouts(config).node, (req, res) => {
    setSecurityHeaders(req, res, config);
    res.writeHead(503, { "content-type": "application/json; charset=utf-8", "retry-after": "2", connection: "close" });
    res.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    stand.once("error", reject);
    stand.listen(config.port, config.host, resolve);
  });
  return stand;
}

main().catch((err: unknown) => {
  console.error("Courier failed to start:", err instanceof Error ? err.message : err);
  process.exit(1);
});
