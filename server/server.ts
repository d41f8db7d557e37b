import { build } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";

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

  await app.listen({ port: config.port, host: config.host });
}

main().catch((err: unknown) => {
  console.error("Courier failed to start:", err instanceof Error ? err.message : err);
  process.exit(1);
});
