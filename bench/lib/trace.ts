import { readFileSync, writeFileSync } from "node:fs";
import type { Page } from "@playwright/test";

/** The categories DevTools' Performance panel records, enough to say where a page's main thread went. */
const CATEGORIES = [
  "-*",
  "devtools.timeline",
  "disabled-by-default-devtools.timeline",
  "v8.execute",
  "disabled-by-default-v8.compile",
  "blink.user_timing",
  "loading",
  "toplevel",
];

/** Runs `fn` under Chromium's tracing (CDP `Tracing`, as Puppeteer's page.tracing does); the trace (JSON) goes to `file`. */
export async function traced<T>(page: Page, file: string, fn: () => Promise<T>): Promise<T> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send("Tracing.start", { transferMode: "ReturnAsStream", traceConfig: { includedCategories: CATEGORIES, recordMode: "recordAsMuchAsPossible" } });
    try {
      return await fn();
    } finally {
      const complete = new Promise<{ stream?: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("Chromium did not finish the trace within 30 s")), 30_000);
        cdp.once("Tracing.tracingComplete", (event) => {
          clearTimeout(timer);
          resolve(event);
        });
      });
      await cdp.send("Tracing.end");
      const { stream } = await complete;
      const chunks: Buffer[] = [];
      if (stream) {
        for (;;) {
          const { data, eof, base64Encoded } = await cdp.send("IO.read", { handle: stream });
          chunks.push(Buffer.from(data, base64Encoded ? "base64" : "utf8"));
          if (eof) break;
        }
        await cdp.send("IO.close", { handle: stream });
      }
      // Decoded once: a character split across two chunks stays whole.
      writeFileSync(file, Buffer.concat(chunks));
    }
  } finally {
    await cdp.detach().catch(() => {});
  }
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  /** The thread's own CPU time in the event (what `dur` spent running, not waiting). */
  tdur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: { url?: string; frame?: string; documentLoaderURL?: string; isOutermostMainFrame?: boolean } };
}

/**
 * The page's renderer main thread (the one that navigated to the page's
 * document), from that navigation's start to `endMs` after it (all
 * of the trace without): the wall time to the last event, its busy time in
 * top-level tasks (wall and the thread's own CPU), and the time by kind of
 * work (ms; an event nested in another of the kinds below is counted once,
 * at the outermost), plus the tasks over 5 ms in order, each with its largest
 * kinds.
 */
export function traceSummary(file: string, endMs = Infinity): Record<string, unknown> {
  const parsed = JSON.parse(readFileSync(file, "utf8")) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
  // The page's document (not the empty one a new tab starts with, which may be in a renderer of its own), and its thread.
  // Chromium 156 leaves documentLoaderURL empty: then the last main-frame navigation on a thread that parsed HTML after it.
  const parsedAfter = (n: TraceEvent) => events.some((e) => e.name === "ParseHTML" && e.pid === n.pid && e.tid === n.tid && e.ts >= n.ts);
  const starts = events.filter((e) => e.name === "navigationStart" && e.args?.data?.isOutermostMainFrame !== false);
  const navigation = starts.filter((e) => e.args?.data?.documentLoaderURL).at(-1) ?? starts.filter(parsedAfter).at(-1);
  if (!navigation) return { error: "no navigation of the page's document in the trace" };
  const onMain = events.filter((e) => e.pid === navigation.pid && e.tid === navigation.tid);
  const start = navigation.ts;
  const end = start + endMs * 1000;
  const complete = onMain.filter((e) => e.ph === "X" && e.dur !== undefined && e.ts >= start && e.ts <= end).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const kinds = new Set(["EvaluateScript", "v8.compileModule", "v8.evaluateModule", "FunctionCall", "TimerFire", "EventDispatch", "FireAnimationFrame", "ParseHTML", "ParseAuthorStyleSheet", "UpdateLayoutTree", "Layout", "PrePaint", "Paint", "Layerize", "Commit", "MinorGC", "MajorGC", "v8.compile", "V8.CompileCode", "RunMicrotasks", "v8.run", "HitTest"]);
  const ms = (us: number) => Math.round(us / 100) / 10;
  const byKind = new Map<string, number>();
  const tasks: Array<{ at: number; ms: number; kinds: Record<string, number> }> = [];
  let busy = 0;
  let busyCpu = 0;
  let last = start;
  let open: { end: number; kinds: Map<string, number>; at: number; dur: number } | null = null;
  let kindEnd = 0;
  for (const e of complete) {
    last = Math.max(last, e.ts + e.dur!);
    if (e.name === "RunTask" && (!open || e.ts >= open.end)) {
      if (open && open.dur >= 5000) tasks.push({ at: ms(open.at - start), ms: ms(open.dur), kinds: top(open.kinds, 3, ms) });
      open = { end: e.ts + e.dur!, kinds: new Map(), at: e.ts, dur: e.dur! };
      busy += e.dur!;
      busyCpu += e.tdur ?? e.dur!;
      continue;
    }
    if (!kinds.has(e.name) || e.ts < kindEnd) continue; // nested in a kind already counted
    kindEnd = e.ts + e.dur!;
    byKind.set(e.name, (byKind.get(e.name) ?? 0) + e.dur!);
    open?.kinds.set(e.name, (open.kinds.get(e.name) ?? 0) + e.dur!);
  }
  if (open && open.dur >= 5000) tasks.push({ at: ms(open.at - start), ms: ms(open.dur), kinds: top(open.kinds, 3, ms) });
  // Scripts V8 compiled off the main thread while they streamed in: wall time, and the worker thread's own CPU.
  const background = events
    .filter((e) => e.name === "v8.parseOnBackground" && e.ph === "X" && e.ts >= start && e.ts <= end)
    .map((e) => ({ script: (e.args?.data?.url ?? "").split("/").pop(), ms: ms(e.dur ?? 0), cpuMs: ms(e.tdur ?? 0) }))
    .filter((c) => c.ms >= 5);
  return { wallMs: ms(last - start), busyMs: ms(busy), busyCpuMs: ms(busyCpu), byKind: top(byKind, 20, ms), tasksOver5ms: tasks, backgroundCompiles: background };
}

function top(m: Map<string, number>, n: number, ms: (us: number) => number): Record<string, number> {
  return Object.fromEntries([...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k, ms(v)]));
}
