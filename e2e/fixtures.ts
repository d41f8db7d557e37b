import { randomBytes } from "node:crypto";
import {
  test as base,
  expect,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Locator,
  type Page,
  type WebSocketRoute,
} from "@playwright/test";

export type TransportName = "ws" | "sse" | "poll";

export interface CourierOptions {
  /** Forced transport (`?transport=`), or "auto" for capability detection and fallback. */
  transport: TransportName | "auto";
}

const CSP_MARK = "courier-csp-violation:";
const watchedForCsp = new WeakSet<BrowserContext>();

/**
 * Records every Content-Security-Policy violation in a context's pages (all
 * frames) and service workers. Pages report through a binding; a service
 * worker, which init scripts do not reach, through a marked console line.
 */
async function watchCsp(context: BrowserContext, violations: string[]): Promise<void> {
  if (watchedForCsp.has(context)) return;
  watchedForCsp.add(context);
  await context.exposeBinding("__courierCspViolation", ({ frame }, text: string) => void violations.push(`${frame.url()}: ${text}`));
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const report = (window as unknown as { __courierCspViolation(text: string): void }).__courierCspViolation;
      report(`${e.effectiveDirective} refused ${e.blockedURI || "inline code"} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  context.on("serviceworker", (worker) => {
    worker.on("console", (msg) => {
      if (msg.text().startsWith(CSP_MARK)) violations.push(`${worker.url()}: ${msg.text().slice(CSP_MARK.length)}`);
    });
    worker
      .evaluate((mark) => {
        self.addEventListener("securitypolicyviolation", (e) => console.error(`${mark}${e.effectiveDirective} refused ${e.blockedURI || "inline code"}`));
      }, CSP_MARK)
      .catch(() => undefined);
  });
}

/**
 * Each Playwright project forces one transport; the "auto" project exercises
 * fallback. Every test fails if the app met a CSP violation
 * (server/http/security-headers.ts): the policy must be one the app and its
 * service worker really run under. Contexts opened by the test
 * (`browser.newContext()`, as signUp does) are watched as well as `context`.
 *
 * Every context the test opened is closed when it ends, pass or fail. The
 * browser lives as long as the worker, so a context left open (a test that
 * failed half-way, or one that never closed its people) keeps its pages
 * running, with their heartbeats, reconnects and timers, through every later
 * test in that worker: CI's journeys slowed from ~25 s to 50–70 s by the end
 * of a project and began to time out (2026-12-04).
 */
export const test = base.extend<CourierOptions & { cspViolations: string[] }>({
  transport: ["ws", { option: true }],
  cspViolations: [
    async ({ browser }, use) => {
      const violations: string[] = [];
      const before = new Set(browser.contexts());
      const newContext = browser.newContext;
      browser.newContext = async (options) => {
        const context = await newContext.call(browser, options);
        await watchCsp(context, violations);
        return context;
      };
      try {
        await use(violations);
      } finally {
        browser.newContext = newContext;
        const left = browser.contexts().filter((context) => !before.has(context));
        await Promise.all(left.map((context) => context.close().catch(() => undefined)));
      }
      expect(violations, "Content-Security-Policy violations").toEqual([]);
    },
    { auto: true },
  ],
  context: async ({ context, cspViolations }, use) => {
    await watchCsp(context, cspViolations);
    await use(context);
  },
});
export { expect };

/** The app's entry URL for a transport choice. */
export function appUrl(transport: CourierOptions["transport"]): string {
  return transport === "auto" ? "/" : `/?transport=${transport}`;
}

export const PASSWORD = "correct horse battery";

export function uniqueUsername(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString("hex")}`;
}

export interface Person {
  context: BrowserContext;
  page: Page;
  username: string;
  displayName: string;
  transport: CourierOptions["transport"];
}

/**
 * A new browser profile (own cookies and IndexedDB) with a new account,
 * opened on the app. The account is made over HTTP in the profile's own
 * cookie jar (`POST /api/auth/register`, as the form does), and the page then
 * opens signed in: the app starts from its session cookie, as it does for a
 * returning user. The form itself is driven by the specs that test it
 * (chat.spec.ts's sign-up, i18n, a11y, security); here it would cost every
 * journey ~1 s per person (the signed-out app loaded, filled and sent).
 * `options` go to the context (e.g. `baseURL` of a server the test runs).
 * `before` runs on the page before it loads the app (routes, init scripts).
 */
export async function signUp(
  browser: Browser,
  prefix: string,
  displayName: string,
  transport: CourierOptions["transport"] = "ws",
  options: BrowserContextOptions = {},
  before?: (page: Page) => Promise<void>,
): Promise<Person> {
  const context = await browser.newContext(options);
  const username = uniqueUsername(prefix);
  const made = await context.request.post("/api/auth/register", { data: { username, password: PASSWORD, displayName } });
  if (made.status() !== 201) throw new Error(`sign-up of ${username} answered ${made.status()}: ${await made.text()}`);
  const page = await context.newPage();
  await before?.(page);
  await page.goto(appUrl(transport));
  await expect(page.getByTestId("current-user")).toBeVisible();
  await expectOnline(page, transport);
  return { context, page, username, displayName, transport };
}

/** Another device of `person`: a new browser profile that signs in through the UI. */
export async function signIn(
  browser: Browser,
  person: Pick<Person, "username" | "displayName">,
  transport: CourierOptions["transport"] = "ws",
  options: BrowserContextOptions = {},
  before?: (page: Page) => Promise<void>,
): Promise<Person> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await before?.(page);
  await page.goto(appUrl(transport));
  await page.getByLabel("Username").fill(person.username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toBeVisible();
  await expectOnline(page, transport);
  return { context, page, username: person.username, displayName: person.displayName, transport };
}

/** `from` starts a direct chat with `to` from user search; the conversation is open on `from`'s page. */
export async function startDirectChat(from: Person, to: Person): Promise<void> {
  await from.page.getByRole("button", { name: "New chat" }).click();
  await from.page.getByLabel("Find people").fill(to.username);
  await from.page.getByRole("button", { name: `Message ${to.displayName}` }).click();
  await expect(from.page.getByTestId("conversation")).toBeVisible();
}

export async function expectOnline(page: Page, transport: CourierOptions["transport"] = "ws"): Promise<void> {
  const status = page.getByTestId("connection-status");
  await expect(status).toHaveAttribute("data-state", "online", { timeout: 15_000 });
  if (transport !== "auto") await expect(status).toHaveAttribute("data-transport", transport);
}

/**
 * Takes a person fully offline: the live connection is cut and every request
 * to the server fails. NOTE: context.setOffline() does not close an open
 * WebSocket, and a streaming SSE response cannot be cut by page.route, so for
 * SSE and long-polling the page is reloaded (it renders from IndexedDB) while
 * the routes refuse everything. Returns a function that brings it back.
 */
export async function goOffline(person: Person, socket?: Awaited<ReturnType<typeof cuttableSocket>>): Promise<() => Promise<void>> {
  const { page } = person;
  let offline = true;
  await page.route("**/api/**", (route) => (offline ? route.abort("internetdisconnected") : route.fallback()));
  if (person.transport === "ws" && socket) {
    await socket.cut();
  } else {
    await page.routeWebSocket(/\/socket\.io\//, (ws) => (offline ? ws.close({ code: 1011 }) : ws.connectToServer()));
    await page.reload({ waitUntil: "commit" });
  }
  await expect(page.getByTestId("connection-status")).not.toHaveAttribute("data-state", "online");
  return async () => {
    offline = false;
    socket?.restore();
  };
}

export function messages(page: Page): Locator {
  return page.getByTestId("message-list").getByTestId("message");
}

/** The message rows of the open conversation holding `text`. */
export function bubble(page: Page, text: string): Locator {
  return messages(page).filter({ hasText: text });
}

/** Opens the menu of the message holding `text` (its ⋯, as a mouse does). */
export async function menuOf(page: Page, text: string): Promise<Locator> {
  const row = bubble(page, text);
  await row.hover();
  await row.getByRole("button", { name: "Message actions" }).click();
  return page.getByRole("menu");
}

/** Texts of the (non-system) message bubbles in the open conversation, in screen order. */
export async function bubbleTexts(page: Page): Promise<string[]> {
  return page
    .getByTestId("message-list")
    .locator('[data-testid="message"]:not([data-kind="system"]) [data-testid="message-text"]')
    .allInnerTexts();
}

export async function send(page: Page, text: string): Promise<void> {
  const composer = page.getByLabel("Message", { exact: true });
  await composer.fill(text);
  await composer.press("Enter");
}

export async function openConversation(page: Page, title: string): Promise<void> {
  await page.getByTestId("conversation-item").filter({ hasText: title }).first().click();
  await expect(page.getByTestId("conversation")).toBeVisible();
}

/**
 * Routes the page's socket.io WebSocket through Playwright so a test can cut
 * it. NOTE: context.setOffline() does not close an open WebSocket; this does.
 * While cut, new connection attempts are refused at once.
 */
export async function cuttableSocket(page: Page) {
  let blocked = false;
  const live = new Set<{ page: WebSocketRoute; server: WebSocketRoute }>();
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (blocked) {
      void ws.close({ code: 1011, reason: "cut by test" });
      return;
    }
    const server = ws.connectToServer();
    const pair = { page: ws, server };
    live.add(pair);
    ws.onClose(() => live.delete(pair));
  });
  return {
    async cut() {
      blocked = true;
      for (const pair of live) {
        await pair.page.close({ code: 1011, reason: "cut by test" }).catch(() => {});
        await pair.server.close().catch(() => {});
      }
      live.clear();
    },
    restore() {
      blocked = false;
    },
  };
}

export async function createListing(page: Page, title: string, price: string): Promise<void> {
  // Exact: on the Listings page "All listings" and "My listings" are buttons too.
  await page.getByRole("button", { name: "Listings", exact: true }).click();
  await page.getByRole("button", { name: "Sell something" }).click();
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Price").fill(price);
  await page.getByLabel("Description").fill("Good condition, pick-up only.");
  await page.getByRole("button", { name: "List it" }).click();
  await expect(page.getByTestId("listing-card").filter({ hasText: title })).toBeVisible();
}

/**
 * Alice, whose WebSocket the test can cut (`cuttableSocket`), and Bob in a
 * direct chat on WebSocket; Alice said "hello" and Bob has the conversation open.
 */
export async function chattingWithCuttableSocket(browser: Browser, alice: { prefix: string; displayName: string }) {
  let socket!: Awaited<ReturnType<typeof cuttableSocket>>;
  const a = await signUp(browser, alice.prefix, alice.displayName, "ws", {}, async (page) => {
    socket = await cuttableSocket(page);
  });
  const bob = await signUp(browser, "peer", "Bo Peer", "ws");
  await startDirectChat(a, bob);
  await send(a.page, "hello");
  await openConversation(bob.page, a.displayName);
  await expect.poll(() => bubbleTexts(bob.page)).toEqual(["hello"]);
  return { alice: a, bob, socket };
}

/** The account databases on this browser profile (not the device one): messages and outbox rows in each, fewest outbox rows first. */
export function localData(page: Page) {
  return page.evaluate(async () => {
    const found: Record<string, { messages: number; outbox: number }> = {};
    for (const info of await indexedDB.databases()) {
      const name = info.name ?? "";
      if (!name.startsWith("courier-") || name === "courier-device") continue;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const count = (store: string) =>
        new Promise<number>((resolve, reject) => {
          const request = db.transaction(store).objectStore(store).count();
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      found[name] = { messages: await count("messages"), outbox: await count("outbox") };
      db.close();
    }
    return Object.values(found).sort((a, b) => a.outbox - b.outbox);
  });
}
