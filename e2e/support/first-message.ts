import type { Page } from "@playwright/test";

/**
 * Time to first message on a handicapped network: the page's own clock
 * (`performance.now()`, from navigation start) when a message's text first
 * enters the DOM. Shared by the fallback e2e spec (which checks that the app
 * falls back and the message arrives) and the benchmark (which holds the
 * figure to its target: 1.5 s with WebSocket blocked, 3 s with WebSocket and
 * SSE blocked).
 */

/** Installs, before any app code runs, a recorder of when each message text first shows. */
export async function recordArrivals(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: Record<string, number> = {};
    (window as unknown as { __arrivals: Record<string, number> }).__arrivals = seen;
    // No named functions in here: run through tsx (the benchmark), esbuild would wrap them in a helper the page lacks.
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[data-testid="message-text"]')) {
        const text = el.textContent ?? "";
        if (!(text in seen)) seen[text] = performance.now();
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
}

/** When `text` first showed, from navigation start; waits for it up to `timeoutMs`. */
export async function arrivalAt(page: Page, text: string, timeoutMs = 10_000): Promise<number> {
  const handle = await page.waitForFunction(
    (t) => (window as unknown as { __arrivals: Record<string, number> }).__arrivals[t] ?? 0,
    text,
    { timeout: timeoutMs, polling: 10 },
  );
  return handle.jsonValue();
}

/** A proxy that refuses WebSocket upgrades. */
export const blockWebSocket = (page: Page) => page.routeWebSocket(/\/socket\.io\//, (ws) => ws.close({ code: 1011, reason: "blocked by proxy" }));

/** A buffering proxy: the event-stream request goes out, but no byte ever comes back. */
export const hangEventStream = (page: Page) => page.route("**/api/stream**", () => new Promise(() => {}));

/** The handicaps the fallback targets are stated for, and the transport each must end on. */
export const HANDICAPS = [
  { name: "ws blocked", expect: "sse", targetMs: 1_500, apply: blockWebSocket },
  {
    name: "ws + sse blocked",
    expect: "poll",
    targetMs: 3_000,
    apply: async (page: Page) => {
      await blockWebSocket(page);
      await hangEventStream(page);
    },
  },
] as const;

/** The transport log the app keeps (`window.__courier`), one line: what it tried, and when. */
export function transportLog(page: Page): Promise<string> {
  return page.evaluate(() =>
    window
      .__courier!.transportLog()
      .map((e) => `${e.event} ${e.name} @${Math.round(e.sinceLoadMs)}`)
      .join(", "),
  );
}
