/**
 * The little the cross-browser journeys need from a browser, with two
 * backends: puppeteer-core (Firefox over WebDriver BiDi, Chromium over CDP;
 * puppeteer-driver.ts) and W3C WebDriver over HTTP (WebKitGTK's
 * WebKitWebDriver; webdriver.ts). The journeys (journeys.ts) are written once
 * against this.
 */

/** An element: the first visible one matching `css` whose text (or aria-label) is `text`, or whose text contains `hasText`, when given. */
export interface Target {
  css: string;
  text?: string;
  hasText?: string;
}

export interface BrowserPage {
  /** "Firefox", "WebKit", "Chromium": named in failures. */
  readonly name: string;
  /** Loads `url` and waits for its load event (a page the server cannot serve throws). */
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  /** Runs `body`, a function body that reads its arguments from `args` and may return a promise, in the page. */
  evaluate<T>(body: string, ...args: unknown[]): Promise<T>;
  /** Clicks the element with a real (simulated) pointer. Waits for it first. */
  click(target: Target): Promise<void>;
  /** Types `text` into the element with real key events. Waits for it first. */
  type(target: Target, text: string): Promise<void>;
  /** Presses Enter in the element. */
  pressEnter(target: Target): Promise<void>;
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

/** How long a journey step waits for what it expects (the app, not the test, is slow on a 2-core machine). */
export const STEP_TIMEOUT_MS = 15_000;

const TAG = "data-courier-e2e";

/**
 * Page code: the first visible element matching args[0] (CSS) whose trimmed
 * text or aria-label is args[1], and whose text contains args[2] (when given), gets a fresh TAG attribute; the
 * CSS selector of that attribute is returned, or null when there is none yet.
 */
const TAG_ELEMENT = `
  const [css, text, hasText, tag, n] = args;
  for (const el of document.querySelectorAll(css)) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (text !== null && el.textContent.trim() !== text && el.getAttribute("aria-label") !== text) continue;
    if (hasText !== null && !el.textContent.includes(hasText)) continue;
    el.setAttribute(tag, n);
    return "[" + tag + '="' + n + '"]';
  }
  return null;
`;

let tagged = 0;

/** Waits until the target is on screen and returns a CSS selector for exactly that element. */
export async function locate(page: BrowserPage, target: Target): Promise<string> {
  const n = String(++tagged);
  const selector = await waitFor(page, `${describe(target)} to be on screen`, () => page.evaluate<string | null>(TAG_ELEMENT, target.css, target.text ?? null, target.hasText ?? null, TAG, n));
  return selector;
}

export function describe(target: Target): string {
  if (target.text !== undefined) return `${target.css} "${target.text}"`;
  return target.hasText === undefined ? target.css : `${target.css} containing "${target.hasText}"`;
}

/**
 * Polls `probe` until it returns something other than null/false, or fails
 * after STEP_TIMEOUT_MS with "<browser>: expected <what> within 15 s" and the
 * last thing `show` reported.
 */
export async function waitFor<T>(page: BrowserPage, what: string, probe: () => Promise<T | null | false>, show?: () => Promise<unknown>): Promise<T> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== false) return value;
      lastError = null;
    } catch (error) {
      // A page in the middle of a navigation: try again.
      lastError = error;
    }
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seen = show ? `; it shows ${JSON.stringify(await show().catch((e: unknown) => String(e)))}` : "";
  const error = lastError ? ` (last error: ${String(lastError)})` : "";
  throw new Error(`${page.name}: expected ${what} within ${STEP_TIMEOUT_MS / 1000} s${seen}${error}`);
}
