import { createServer } from "node:net";

/**
 * A port that is free on `host` right now: bind port 0, read what the kernel
 * chose, release it. Someone else may take it before we use it; callers that
 * start a server on it retry with a new one when the bind fails.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : undefined;
      server.close(() => (port ? resolve(port) : reject(new Error(`no port from ${host}`))));
    });
  });
}
