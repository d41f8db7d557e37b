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
  await cdp.send("Tracing.start", { transferMode: "ReturnAsStream", traceConfig: { includedCategories: CATEGORIES, recordMode: "recordAsMuchAsPossible" } });
  try {
    return await fn();
  } finally {
    const complete = new Promise<{ stream?: string }>((resolve) => cdp.once("Tracing.tracingComplete", resolve));
    await cdp.send("Tracing.end");
    const { stream } = await complete;
    const chunks: string[] = [];
    if (stream) {
      for (;;) {
        const { data, eof, base64Encoded } = await cdp.send("IO.read", { handle: stream });
        chunks.push(base64Encoded ? Buffer.from(data, "base64").toString("utf8") : data);
        if (eof) break;
      }
      await cdp.send("IO.close", { handle: stream });
    }
    writeFileSync(file, chunks.join(""));
    await cdp.detach();
  }
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: { url?: string; frame?: string } };
}

/**
 * The page's renderer main thread, from the document's navigation start (the
 * `navigationStart` mark): the wall time to the last event, its busy time in
 * top-level tasks, and the time by kind of work (ms, events nested in others
 * counted once, at the outermost of the kinds below), plus the tasks over 5 ms
 * in order, each with its largest kinds.
 */
export function traceSummary(file: string): Record<string, unknown> {
  const parsed = JSON.parse(readFileSync(file, "utf8")) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
  const main = events.find((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain" && events.some((x) => x.pid === e.pid && x.name === "ParseHTML"));
  if (!main) return { error: "no renderer main thread with a ParseHTML in the trace" };
  const onMain = events.filter((e) => e.pid === main.pid && e.tid === main.tid);
  const start = onMain.filter((e) => e.name === "navigationStart").at(-1)?.ts ?? Math.min(...onMain.filter((e) => e.ph === "X").map((e) => e.ts));
  const complete = onMain.filter((e) => e.ph === "X" && e.ts >= start && e.dur !== undefined).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const kinds = new Set(["EvaluateScript", "v8.compileModule", "v8.evaluateModule", "FunctionCall", "TimerFire", "EventDispatch", "FireAnimationFrame", "ParseHTML", "ParseAuthorStyleSheet", "UpdateLayoutTree", "Layout", "PrePaint", "Paint", "Layerize", "Commit", "MinorGC", "MajorGC", "v8.compile", "V8.CompileCode", "RunMicrotasks", "v8.run", "HitTest"]);
  const ms = (us: number) => Math.round(us / 100) / 10;
  const byKind = new Map<string, number>();
  const tasks: Array<{ at: number; ms: number; kinds: Record<string, number> }> = [];
  let busy = 0;
  let open: { end: number; kinds: Map<string, number>; at: number; dur: number } | null = null;
  let kindEnd = 0;
  for (const e of complete) {
    if (e.name === "RunTask" && (!open || e.ts >= open.end)) {
      if (open && open.dur >= 5000) tasks.push({ at: ms(open.at - start), ms: ms(open.dur), kinds: top(open.kinds, 3, ms) });
      open = { end: e.ts + e.dur!, kinds: new Map(), at: e.ts, dur: e.dur! };
      busy += e.dur!;
      continue;
    }
    if (!kinds.has(e.name) || e.ts < kindEnd) continue; // nested in a kind already counted
    kindEnd = e.ts + e.dur!;
    byKind.set(e.name, (byKind.get(e.name) ?? 0) + e.dur!);
    open?.kinds.set(e.name, (open.kinds.get(e.name) ?? 0) + e.dur!);
  }
  if (open && open.dur >= 5000) tasks.push({ at: ms(open.at - start), ms: ms(open.dur), kinds: top(open.kinds, 3, ms) });
  const last = Math.max(...complete.map((e) => e.ts + e.dur!));
  return { wallMs: ms(last - start), busyMs: ms(busy), byKind: top(byKind, 20, ms), tasksOver5ms: tasks };
}

function top(m: Map<string, number>, n: number, ms: (us: number) => number): Record<string, number> {
  return Object.fromEntries([...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k, ms(v)]));
}
