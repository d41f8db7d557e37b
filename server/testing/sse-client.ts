/** A tiny SSE client for tests: real HTTP through fetch, the body read as it arrives. */

export interface SseEvent {
  event: string;
  data: string;
  /** The `id:` this event carried itself, if any. */
  id?: string;
}

/**
 * Incremental parser for `text/event-stream` (the subset the server writes
 * plus comments): fields up to a blank line make one event.
 */
export class SseParser {
  private buffer = "";
  private fields: { event?: string; data: string[]; id?: string } = { data: [] };
  retry: number | null = null;

  feed(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    const lines = this.buffer.split(/\r\n|\n|\r/);
    this.buffer = lines.pop()!;
    for (const line of lines) {
      if (line === "") {
        const f = this.fields;
        if (f.data.length > 0) out.push({ event: f.event ?? "message", data: f.data.join("\n"), ...(f.id !== undefined ? { id: f.id } : {}) });
        this.fields = { data: [] };
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const name = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (name === "event") this.fields.event = value;
      else if (name === "data") this.fields.data.push(value);
      else if (name === "id") this.fields.id = value;
      else if (name === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
    }
    return out;
  }
}

export interface SseClient {
  status: number;
  headers: Headers;
  events: SseEvent[];
  /** The `retry:` the server announced. */
  retry(): number | null;
  /** What an EventSource would send as Last-Event-ID on reconnecting. */
  lastEventId(): string | null;
  /** Resolves when the server ends the stream (or the client closes it). */
  ended: Promise<void>;
  /** Resolves with the first event (already received or coming) that matches. */
  next(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

export async function openStream(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  const parser = new SseParser();
  const waiters = new Set<() => void>();
  let done = false;
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  const ended = (async () => {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) break;
        events.push(...parser.feed(value));
        notify();
      }
    } catch {
      // Aborted by close(), or the server cut the connection: both end the stream.
    } finally {
      done = true;
      notify();
    }
  })();
  return {
    status: res.status,
    headers: res.headers,
    events,
    retry: () => parser.retry,
    lastEventId: () => events.findLast((e) => e.id !== undefined)?.id ?? null,
    ended,
    next(match, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < events.length; seen++) {
            if (match(events[seen]!)) return finish(() => resolve(events[seen]!));
          }
          if (done) finish(() => reject(new Error(`stream ended without the event; got ${events.map((e) => e.event).join(",")}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no matching event in time; got ${events.map((e) => e.event).join(",")}`))), timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
}
