import type { ServerResponse } from "node:http";
import type { SseEventName } from "../../../shared/protocol/index.js";

/**
 * A client that stops reading must not make us buffer without end: past this
 * many unsent bytes the response is dropped. Its EventSource reconnects with
 * the last `id` it did receive and is served from storage.
 */
export const SSE_BUFFER_LIMIT_BYTES = 1024 * 1024;

/**
 * Frames Server-Sent Events onto a response. JSON data never holds a raw
 * line break, so every event is one `data:` line; ids are cursors, which
 * cannot hold one either.
 */
export class SseWriter {
  constructor(
    private readonly res: ServerResponse,
    private readonly limitBytes = SSE_BUFFER_LIMIT_BYTES,
  ) {}

  /** Status and headers, flushed at once so the client sees the stream open before any event. */
  open(): void {
    this.res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      // NOTE: nginx buffers proxied responses unless told not to; events would arrive in lumps.
      "x-accel-buffering": "no",
      connection: "keep-alive",
    });
    this.res.flushHeaders();
    this.res.socket?.setNoDelay(true);
  }

  retry(ms: number): void {
    this.write(`retry: ${ms}\n\n`);
  }

  event(name: SseEventName, data: unknown, id?: string): void {
    this.write(`${id === undefined ? "" : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }

  get gone(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  private write(frame: string): void {
    if (this.gone) return;
    this.res.write(frame);
    if (this.res.writableLength > this.limitBytes) this.res.destroy();
  }
}
