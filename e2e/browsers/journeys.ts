import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerProcess } from "../../server/testing/server-process.js";
import { waitFor, type BrowserPage } from "./driver.js";
import { openChromium } from "./puppeteer-driver.js";

/**
 * The cross-browser journeys, written once for every browser under test:
 * sign-up; a chat both ways on each forced transport; a reload that shows
 * the history from IndexedDB; an offline start (the server is gone, and a
 * reload still opens Courier with its history, from the service worker's
 * app shell and IndexedDB).
 *
 * The other person is Chromium (puppeteer-core over CDP), in a profile of
 * its own: two independent people in two different engines, so every
 * message crosses from the browser under test to the one the rest of the
 * suite trusts and back, and only one instance of the slower browser runs
 * at a time on a 2-core machine.
 *
 * Each browser gets a server of its own (a fresh data directory, a port the
 * system picks), which the offline start stops.
 */

const TRANSPORTS = ["ws", "sse", "poll"] as const;
type Transport = (typeof TRANSPORTS)[number];

const PASSWORD = "correct horse battery";

/** Where screenshots go (looked at by people, kept by CI as artifacts). */
export const SHOTS_DIR = path.resolve("test-results", "browsers");

interface Person {
  page: BrowserPage;
  username: string;
  displayName: string;
}

const MESSAGES =
  '[data-testid="message-list"] [data-testid="message"]:not([data-kind="system"]) [data-testid="message-text"]';

/** Page code: the texts of the message bubbles in the open conversation, in screen order. */
const BUBBLE_TEXTS = `return Array.from(document.querySelectorAll(${JSON.stringify(MESSAGES)}), (el) => el.textContent.trim());`;

/** Page code: the connection status's state and transport. */
const CONNECTION = `
  const el = document.querySelector('[data-testid="connection-status"]');
  return el ? { state: el.getAttribute("data-state"), transport: el.getAttribute("data-transport") } : null;
`;

/** Page code: what the screen shows where a conversation is looked for (said when it is not found). */
const LIST_STATE = `
  const status = document.querySelector('[data-testid="connection-status"]');
  return {
    location: location.pathname + location.search,
    connection: status ? status.getAttribute("data-state") + " " + status.getAttribute("data-transport") : null,
    items: [...document.querySelectorAll('[data-testid="conversation-item"]')].map((el) => {
      const box = el.getBoundingClientRect();
      return el.textContent.trim().slice(0, 60) + " (" + Math.round(box.width) + "x" + Math.round(box.height) + ")";
    }),
    view: [...document.querySelectorAll("main h1, main h2, [role=alert]")].map((el) => el.textContent.trim().slice(0, 60)),
    // "Loading…" here would mean IndexedDB never answered the list's query.
    sidebar: (document.querySelector(".sidebar")?.textContent ?? "").replace(/\\s+/g, " ").trim().slice(0, 200),
  };
`;

/** Page code: which of args[0] (texts) no record of any IndexedDB "messages" store holds. */
const MISSING_FROM_INDEXEDDB = `
  const [texts] = args;
  const request = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
  const stored = [];
  for (const { name } of await indexedDB.databases()) {
    const db = await request(indexedDB.open(name));
    if (db.objectStoreNames.contains("messages")) {
      for (const record of await request(db.transaction("messages").objectStore("messages").getAll())) stored.push(JSON.stringify(record));
    }
    db.close();
  }
  return texts.filter((text) => !stored.some((record) => record.includes(JSON.stringify(text).slice(1, -1))));
`;

/** Page code: whether an active service worker controls this origin and has cached the app shell. */
const SHELL_CACHED = `
  if (!("serviceWorker" in navigator)) return "no serviceWorker in navigator";
  const registration = await navigator.serviceWorker.getRegistration("/");
  if (!registration || !registration.active) return "no active service worker";
  return (await caches.keys()).length > 0 ? true : "no cache yet";
`;

export function browserJourneys(
  name: string,
  open: () => Promise<BrowserPage>,
): void {
  describe(`${name}: journeys beside Chromium`, () => {
    let server: ServerProcess;
    let me: Person;
    let peer: Person;
    /** Every message of the chat so far, in order: both sides must show exactly these. */
    const sent: string[] = [];
    const url = (transport: Transport) =>
      `${server.url}/?transport=${transport}`;

    beforeAll(async () => {
      mkdirSync(SHOTS_DIR, { recursive: true });
      server = await ServerProcess.start();
      const [mine, theirs] = await Promise.allSettled([open(), openChromium()]);
      if (mine.status === "rejected" || theirs.status === "rejected") {
        // The one that did open is closed by afterAll.
        if (mine.status === "fulfilled")
          me = { page: mine.value, username: "", displayName: "" };
        if (theirs.status === "fulfilled")
          peer = { page: theirs.value, username: "", displayName: "" };
        throw mine.status === "rejected"
          ? mine.reason
          : (theirs as PromiseRejectedResult).reason;
      }
      me = {
        page: mine.value,
        username: username(name),
        displayName: `${name} Tester`,
      };
      peer = {
        page: theirs.value,
        username: username("chromium"),
        displayName: "Chromium Peer",
      };
    });

    afterAll(async () => {
      // Stop only what this file started, also when a journey failed half-way.
      await Promise.allSettled([me?.page.close(), peer?.page.close()]);
      await server?.stop();
    });

    it("signs up a new account", async () => {
      await Promise.all([signUp(me, url("ws")), signUp(peer, url("ws"))]);
      await me.page.screenshot(
        path.join(SHOTS_DIR, `${name.toLowerCase()}-signed-up.png`),
      );
    });

    TRANSPORTS.forEach((transport, i) => {
      it(`chats both ways with Chromium over ${transport}`, async () => {
        await Promise.all([
          me.page.goto(url(transport)),
          peer.page.goto(url(transport)),
        ]);
        await Promise.all([
          expectOnline(me.page, transport),
          expectOnline(peer.page, transport),
        ]);
        if (i === 0) {
          await me.page.click({
            css: ".sidebar-head button",
            text: "New chat",
          });
          await me.page.type({ css: 'input[type="search"]' }, peer.username);
          await me.page.click({
            css: "button",
            text: `Message ${peer.displayName}`,
          });
        } else {
          await openConversation(me, peer.displayName);
        }
        await send(me, `From ${name} to Chromium over ${transport}`, sent);
        await openConversation(peer, me.displayName);
        await expectHistory(peer.page, sent);
        await send(peer, `From Chromium to ${name} over ${transport}`, sent);
        await expectHistory(me.page, sent);
        await me.page.screenshot(
          path.join(SHOTS_DIR, `${name.toLowerCase()}-chat-${transport}.png`),
        );
      });
    });

    it("shows the history again after a reload, from IndexedDB", async () => {
      await me.page.reload();
      await openConversation(me, peer.displayName);
      await expectHistory(me.page, sent);
      expect(
        await me.page.evaluate<string[]>(MISSING_FROM_INDEXEDDB, sent),
        `${name}: messages missing from IndexedDB`,
      ).toEqual([]);
    });

    it("opens Courier with its history when the server is gone (offline start)", async () => {
      await waitFor(
        me.page,
        "an active service worker that has cached the app shell",
        () =>
          me.page.evaluate<true | string>(SHELL_CACHED).then((r) => r === true),
        () => me.page.evaluate(SHELL_CACHED),
      );
      await server.kill("SIGKILL");
      await me.page.reload();
      await waitFor(
        me.page,
        "Courier to open from the service worker with the server gone",
        () => visible(me.page, '[data-testid="current-user"]'),
      );
      await openConversation(me, peer.displayName);
      await expectHistory(me.page, sent);
      const status = await me.page.evaluate<{ state: string } | null>(
        CONNECTION,
      );
      expect(
        status?.state,
        `${name}: the connection status with the server gone`,
      ).not.toBe("online");
      await me.page.screenshot(
        path.join(SHOTS_DIR, `${name.toLowerCase()}-offline-start.png`),
      );
    });
  });
}

function username(prefix: string): string {
  return `${prefix.toLowerCase()}_${randomBytes(4).toString("hex")}`;
}

function visible(page: BrowserPage, css: string): Promise<boolean> {
  return page.evaluate<boolean>(
    `const el = document.querySelector(args[0]); return !!el && el.getClientRects().length > 0;`,
    css,
  );
}

async function signUp(person: Person, at: string): Promise<void> {
  const { page } = person;
  await page.goto(at);
  await page.click({ css: 'button[role="tab"]', text: "Create account" });
  await page.type({ css: 'input[name="username"]' }, person.username);
  await page.type({ css: 'input[name="displayName"]' }, person.displayName);
  await page.type({ css: 'input[name="password"]' }, PASSWORD);
  await page.click({ css: 'button[type="submit"]', text: "Create account" });
  await waitFor(page, "to be signed in after creating an account", () =>
    visible(page, '[data-testid="current-user"]'),
  );
  await expectOnline(page, "ws");
}

async function expectOnline(
  page: BrowserPage,
  transport: Transport,
): Promise<void> {
  await waitFor(
    page,
    `to be online over ${transport}`,
    () =>
      page
        .evaluate<{ state: string; transport: string } | null>(CONNECTION)
        .then((s) => s?.state === "online" && s.transport === transport),
    () => page.evaluate(CONNECTION),
  );
}

async function openConversation(person: Person, title: string): Promise<void> {
  // Waited for here first, so that a failure says what the list showed instead.
  await waitFor(
    person.page,
    `a conversation with ${title} in the list`,
    () => person.page.evaluate<boolean>(`return [...document.querySelectorAll('[data-testid="conversation-item"]')].some((el) => el.getClientRects().length > 0 && el.textContent.includes(args[0]));`, title),
    () => person.page.evaluate(LIST_STATE),
  );
  await person.page.click({
    css: '[data-testid="conversation-item"]',
    hasText: title,
  });
  await waitFor(person.page, `the conversation with ${title} to open`, () =>
    visible(person.page, '[data-testid="conversation"]'),
  );
}

/** `person` sends `text` from the open conversation's composer (Enter sends); it joins `history`, which both sides must show. */
async function send(
  person: Person,
  text: string,
  history: string[],
): Promise<void> {
  history.push(text);
  await person.page.type({ css: '[data-testid="composer"]' }, text);
  await person.page.pressEnter({ css: '[data-testid="composer"]' });
}

/** The open conversation shows exactly `texts`, in order: none missing, none twice. */
async function expectHistory(
  page: BrowserPage,
  texts: readonly string[],
): Promise<void> {
  await waitFor(
    page,
    `the conversation to show exactly ${JSON.stringify(texts)}`,
    () =>
      page
        .evaluate<string[]>(BUBBLE_TEXTS)
        .then((shown) => JSON.stringify(shown) === JSON.stringify(texts)),
    () => page.evaluate(BUBBLE_TEXTS),
  );
}
