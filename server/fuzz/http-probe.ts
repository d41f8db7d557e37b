import { request } from "node:http";
import fc from "fast-check";

/** One fuzzed HTTP request, shown shortened when fast-check reports it. */
export interface Probe {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
}

export interface Answer {
  /** null: no answer within the time allowed (a long-poll parked, as it may); 0: the connection was cut. */
  status: number | null;
  /** The start of the body of an answer that ended. */
  body: string;
}

/** How long a request may take to answer before it counts as parked. */
const ANSWER_MS = 3000;

/** Over real HTTP (not inject), so that what Node's own parser refuses is tested too. A 2xx stream is cut after its headers. */
export function send(base: string, probe: Probe): Promise<Answer> {
  return new Promise((resolve) => {
    // A body is framed by its length, as browsers do (Node would send a GET's body unframed).
    const headers = probe.body === undefined ? probe.headers : { ...probe.headers, "content-length": String(Buffer.byteLength(probe.body)) };
    const req = request(`${base}${probe.path}`, { method: probe.method, headers, timeout: ANSWER_MS }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 300 && String(res.headers["content-type"]).startsWith("text/event-stream")) {
        req.destroy();
        resolve({ status, body: "" });
        return;
      }
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status, body: Buffer.concat(chunks).toString("utf8").slice(0, 300) }));
      res.on("error", (err: NodeJS.ErrnoException) => resolve({ status: 0, body: err.code ?? err.message }));
    });
    req.on("timeout", () => {
      req.destroy();
      resolve({ status: null, body: "" });
    });
    // The server may answer (413, 431) and close before a big body is written: the connection is cut, nothing accepted.
    // (After our own destroy() the promise has settled already.) Whether the server lives on is checked apart.
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ status: 0, body: err.code ?? err.message }));
    if (probe.body !== undefined) req.write(probe.body);
    req.end();
  });
}

/** What fast-check prints for a probe: short enough to read, enough to replay. */
export function describe(probe: Probe): string {
  const body = probe.body === undefined ? "" : Buffer.isBuffer(probe.body) ? ` <bytes ${probe.body.toString("hex").slice(0, 80)}>` : ` ${probe.body.slice(0, 200)}${probe.body.length > 200 ? `… (${probe.body.length} chars)` : ""}`;
  return `${probe.method} ${probe.path.slice(0, 300)} ${JSON.stringify(probe.headers)}${body}`;
}

export function withDescription(probe: Probe): Probe {
  return Object.assign(probe, { [fc.toStringMethod]: () => describe(probe) });
}
