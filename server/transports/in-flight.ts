import type { ServerResponse } from "node:http";

/**
 * Responses of a transport that are still open, so shutdown can wait for
 * the last answers (an empty poll, an SSE `close` event) to leave before the
 * server cuts every socket. Bounded wait: a stuck client must not hold it.
 */
export class InFlight {
  private readonly open = new Set<ServerResponse>();

  track(res: ServerResponse): void {
    if (res.writableFinished || res.destroyed) return;
    this.open.add(res);
    const done = () => this.open.delete(res);
    res.once("finish", done);
    res.once("close", done);
  }

  get size(): number {
    return this.open.size;
  }

  /** Resolves once every tracked response finished or closed, or after `timeoutMs`. */
  async settled(timeoutMs = 1000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.open.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  }
}
