import http from "node:http";
import type { Fetch } from "../../web/api/http.js";

/** A browser opens at most this many HTTP/1.1 connections to one host (Chromium, Firefox, Safari), its EventSource's included. */
export const BROWSER_CONNECTIONS_PER_HOST = 6;

/** One browser's connections to the server: keep-alive, at most `max` (0: no limit); requests beyond them wait for one, as in the browser. */
export function browserAgent(max = BROWSER_CONNECTIONS_PER_HOST): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: max > 0 ? max : Infinity });
}

/**
 * A lean stand-in, on node:http, for what the browser gives the web client in
 * native code: `fetch` (EventSource: `leanEventSource` in
 * bench/lib/node-event-source.ts). Node's own fetch (undici, written
 * in JavaScript, with WHATWG streams and an AbortSignal per request) costs
 * the load generator far more CPU per request than the browser's does the
 * page: at 1,000 msg/s over SSE it was most of the generator's time (issue
 * 16). The requests on the wire are the same (method, path, headers, body,
 * keep-alive connections); only the generator's cost per request changes.
 *
 * `leanFetch` covers what web/api/http.ts uses: it resolves once the whole
 * body is in (the client reads every body at once anyway), with `ok`,
 * `status`, `statusText`, `headers.get`, `text()` and `json()`; an aborted
 * signal destroys the request and rejects with the signal's reason, as fetch
 * does. Plain http: only (the bench runs on 127.0.0.1).
 */
export function leanFetch(extraHeaders: Record<string, string>, agent = browserAgent()): Fetch {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const signal = init.signal ?? undefined;
      if (signal?.aborted) return reject(signal.reason);
      const body = typeof init.body === "string" ? init.body : undefined;
      const headers: Record<string, string> = { ...(init.headers as Record<string, string>), ...extraHeaders };
      if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
      const req = http.request(input, { method: init.method ?? "GET", headers, agent });
      const onAbort = () => {
        req.destroy();
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const settle = () => signal?.removeEventListener("abort", onAbort);
      req.on("error", (error) => {
        settle();
        reject(error);
      });
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", (error) => {
          settle();
          reject(error);
        });
        res.on("end", () => {
          settle();
          resolve(leanResponse(res, Buffer.concat(chunks).toString("utf8")));
        });
      });
      req.end(body);
    });
}

function leanResponse(res: http.IncomingMessage, text: string): Response {
  const status = res.statusCode ?? 0;
  const response = {
    ok: status >= 200 && status < 300,
    status,
    statusText: res.statusMessage ?? "",
    headers: {
      get: (name: string) => {
        const value = res.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
  };
  return response as unknown as Response;
}
