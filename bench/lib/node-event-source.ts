import http from "node:http";
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
  return (url: string): EventStream =>
    eventStream((emit) => {
      const abort = new AbortController();
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
      return () => abort.abort();
    });
}

/**
 * The same on node:http instead of Node's fetch (undici, JavaScript with
 * WHATWG streams: far more CPU per stream and per chunk than the browser's
 * native EventSource costs the page; see bench/lib/node-http.ts): one GET on
 * a connection of its own, `error` once when the stream fails or ends.
 */
export function leanEventSource(headers: Record<string, string>, agent: http.Agent | false = false): OpenStream {
  return (url: string): EventStream =>
    eventStream((emit) => {
      let failed = false;
      const fail = () => {
        if (failed) return;
        failed = true;
        emit("error");
      };
      const req = http.get(url, { headers: { accept: "text/event-stream", ...headers }, agent });
      req.on("error", fail);
      req.on("response", (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return fail();
        }
        const parser = new SseParser();
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          for (const event of parser.feed(chunk)) emit(event.event, event.data);
        });
        res.on("end", fail);
        res.on("error", fail);
        res.on("close", fail);
      });
      return () => req.destroy();
    });
}

/** Listeners by event type; nothing is emitted once closed. `open` starts the stream and returns how to stop it. */
function eventStream(open: (emit: (type: string, data?: string) => void) => () => void): EventStream {
  const listeners = new Map<string, Array<(event: { data?: unknown }) => void>>();
  let closed = false;
  const stop = open((type, data) => {
    if (closed) return;
    for (const listener of listeners.get(type) ?? []) listener({ data });
  });
  return {
    addEventListener(type, listener) {
      const list = listeners.get(type) ?? [];
      list.push(listener);
      listeners.set(type, list);
    },
    close() {
      closed = true;
      stop();
    },
  };
}
