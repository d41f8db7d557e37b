import { SseParser } from "../../server/testing/sse-client.js";
import type { EventStream, OpenStream } from "../../web/sync/sse-transport.js";

/**
 * The part of the browser's EventSource that web/sync/sse-transport.ts uses
 * (`addEventListener`, `close`), for Node: one fetch whose body is parsed as
 * it arrives (the server's own test parser), with a Bearer token because Node
 * has no cookie jar. Like EventSource it reports a failed or ended stream as
 * an `error` event; it never reconnects by itself (SseTransport closes the
 * stream on its first error and opens a new one anyway).
 */
export function nodeEventSource(headers: Record<string, string>): OpenStream {
  return (url: string): EventStream => {
    const listeners = new Map<string, Array<(event: { data?: unknown }) => void>>();
    const abort = new AbortController();
    let closed = false;
    const emit = (type: string, data?: string) => {
      if (closed) return;
      for (const listener of listeners.get(type) ?? []) listener({ data });
    };
    void (async () => {
      try {
        const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
        if (!res.ok || !res.body) {
          await res.body?.cancel().catch(() => {});
          return emit("error");
        }
        const parser = new SseParser();
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          for (const event of parser.feed(decoder.decode(chunk, { stream: true }))) emit(event.event, event.data);
        }
        emit("error");
      } catch {
        emit("error");
      }
    })();
    return {
      addEventListener(type, listener) {
        const list = listeners.get(type) ?? [];
        list.push(listener);
        listeners.set(type, list);
      },
      close() {
        closed = true;
        abort.abort();
      },
    };
  };
}
