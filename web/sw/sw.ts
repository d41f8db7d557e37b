/// <reference lib="webworker" />
/**
 * Courier's service worker: shows Web Push notifications and opens the
 * conversation a click is about. It is built as its own file (`/sw.js`,
 * vite.config.ts) and imports nothing at run time, so it stays a classic
 * script every browser can register; the shared types keep it honest. What
 * it does import (./push-words.ts and the two `push` catalog files) is
 * inlined by the build: the catalogs under their own module ids, so they are
 * never a chunk shared with the app.
 *
 *   push ──▶ a visible tab already shows that conversation? ── yes ──▶ nothing
 *              │ no
 *              ▼
 *        showNotification (tag per conversation, replaces the older one)
 *              ──▶ receipt "displayed"
 *   recall push (kind "recall") ──▶ the notification showing that message?
 *        ── yes ──▶ replaced, silently: "Ann recalled a message" (a collapsed one keeps its title)
 *        ── no ───▶ left alone (it shows another message, or nothing is shown)
 *   hide push (kind "hide", the user deleted it for themselves) ──▶ the same, "Message deleted", keeping the title
 *   notificationclick ──▶ focus an open Courier tab and move it to the
 *        conversation, or open one there ──▶ receipt "clicked"
 *
 * Titles and bodies are worded in the language the page last used, from the
 * payload's `words` and the `push` catalog (./push-words.ts); a payload
 * without readable `words` is shown with the server's own (English) title and body.
 *
 * It also keeps the app shell (index.html and its hashed assets) so Courier
 * opens without a network, from what IndexedDB holds: page loads go to the
 * network first and fall back to the kept shell; assets, whose names change
 * with their content, come from the cache first. API and socket traffic is
 * never touched. The manifest and icons are kept too (network first), for
 * the installed app.
 */
import type { PushPayload, PushReceipt, PUSH_RECEIPTS_PATH } from "../../shared/protocol/push.js";
import type { LanguageMessage, ShowingAnswer, SwToPage } from "../push/sw-messages.js";
import { isPushLanguage, newActivity, type PushLanguage, readWords, wordPush } from "./push-words.js";

declare const self: ServiceWorkerGlobalScope;

const RECEIPTS: typeof PUSH_RECEIPTS_PATH = "/api/push/receipts";
const ICON = "/icon.svg";

/** What a notification carries for its click, and to be found by a recall. */
interface NotificationData {
  url: string;
  id?: string;
  conversationId?: string;
  /** The message whose text the notification shows. */
  messageId?: string;
  count?: number;
}

/**
 * The language notifications are worded in: the one the page last used. Each
 * page tells it (`courier:language`, web/push/sw-bridge.ts) and it is kept in
 * the Cache Storage, since a push may wake a worker no page has talked to;
 * until a page has, the browser's language decides.
 */
const SETTINGS_CACHE = "courier-settings-v1";
const LANGUAGE_URL = "/__courier/language";
let pageLanguage: PushLanguage | null = null;

async function rememberLanguage(language: LanguageMessage["language"]): Promise<void> {
  pageLanguage = language;
  const cache = await caches.open(SETTINGS_CACHE);
  await cache.put(LANGUAGE_URL, new Response(language));
}

async function language(): Promise<PushLanguage> {
  if (pageLanguage === null) {
    try {
      const kept = await (await caches.open(SETTINGS_CACHE)).match(LANGUAGE_URL);
      const text = kept ? await kept.text() : null;
      if (isPushLanguage(text)) pageLanguage = text;
    } catch {
      // No Cache Storage (a private window): the browser's language below.
    }
  }
  return pageLanguage ?? (/^zh\b/i.test(self.navigator.language) ? "zh" : "en");
}

/** `payload` with its title and body in the page's language when its `words` can be read (else as the server wrote them). */
async function worded(payload: PushPayload): Promise<PushPayload> {
  const words = payload.words ? wordPush(payload.words, await language()) : null;
  return words ? { ...payload, title: words.title.slice(0, 200), body: words.body.slice(0, 1000) } : payload;
}

const SHELL_CACHE = "courier-shell-v1";
const SHELL_URL = "/";
/**
 * What the installed app needs beside the page and its assets: the manifest
 * and its icons (web/public/; their names never change, so they are asked of
 * the network first and kept for when there is none).
 */
const INSTALL_FILES = ["/manifest.webmanifest", "/icon.svg", "/icon-192.png", "/icon-512.png", "/icon-maskable-512.png"];

self.addEventListener("install", (event) => {
  void self.skipWaiting();
  // A shell that can't be kept now is kept by the next page load; installing must not fail for it.
  event.waitUntil(refreshShell().catch(() => {}));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name.startsWith("courier-shell-") && name !== SHELL_CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // The admin dashboard (/admin) is another page: kept as the shell, it would replace the app's.
  if (request.mode === "navigate" && !/^\/admin(\/|$)/.test(url.pathname)) event.respondWith(shellFirstFromNetwork(request));
  else if (url.pathname.startsWith("/assets/")) event.respondWith(assetFromCache(request));
  else if (INSTALL_FILES.includes(url.pathname)) event.respondWith(fromNetworkOrKept(request));
});

/** A file whose name does not change: the network's copy (kept), or the kept one offline. */
async function fromNetworkOrKept(request: Request): Promise<Response> {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request);
    if (kept) return kept;
    throw error;
  }
}

/** The page itself: the network's copy (kept for next time), or the kept shell when there is no network. */
async function shellFirstFromNetwork(request: Request): Promise<Response> {
  try {
    const response = await fetch(request);
    if (response.ok && (response.headers.get("content-type") ?? "").includes("text/html")) void keepShell(response.clone()).catch(() => {});
    return response;
  } catch (error) {
    const kept = await caches.match(SHELL_URL, { cacheName: SHELL_CACHE });
    if (kept) return kept;
    throw error;
  }
}

async function assetFromCache(request: Request): Promise<Response> {
  const cache = await caches.open(SHELL_CACHE);
  const kept = await cache.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function refreshShell(): Promise<void> {
  const response = await fetch(SHELL_URL, { cache: "no-store" });
  if (response.ok) await keepShell(response);
  // Not all-or-nothing: a build without one of them must not keep the shell from being kept.
  const cache = await caches.open(SHELL_CACHE);
  await Promise.all(INSTALL_FILES.map((file) => cache.add(file).catch(() => {})));
}

/**
 * The server's headers of the page, kept with it: its Content-Security-Policy
 * (whose hashes allow exactly this page's inline scripts) and the other
 * security headers hold offline too. Not those that described the bytes on
 * the wire: the body kept is the decoded text.
 */
function shellHeaders(served: Headers): Headers {
  const headers = new Headers(served);
  for (const name of ["content-encoding", "content-length", "transfer-encoding", "date", "etag", "last-modified"]) headers.delete(name);
  headers.set("content-type", "text/html; charset=utf-8");
  return headers;
}

/** Keeps this index.html and the assets it names; drops assets of older builds. */
async function keepShell(response: Response): Promise<void> {
  const html = await response.clone().text();
  const assets = [...new Set(html.match(/\/assets\/[^"'\s)]+/g) ?? [])];
  const cache = await caches.open(SHELL_CACHE);
  const missing: string[] = [];
  for (const asset of assets) if (!(await cache.match(asset))) missing.push(asset);
  await cache.addAll(missing);
  await cache.put(SHELL_URL, new Response(html, { headers: shellHeaders(response.headers) }));
  const wanted = new Set(assets.map((a) => new URL(a, self.location.origin).href));
  for (const request of await cache.keys()) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/assets/") && !wanted.has(url.href)) await cache.delete(request);
  }
}

self.addEventListener("push", (event) => {
  event.waitUntil(onPush(event.data));
});

/**
 * The browser replaced the subscription (expired, or the push service
 * rotated it). The server only learns the new one from a signed-in tab,
 * which knows its device id: tell the open tabs; with none open, the next
 * start does it (web/push/push-client.ts `resync`).
 */
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((tabs) => {
      const message: SwToPage = { type: "courier:subscription-changed" };
      for (const tab of tabs) tab.postMessage(message);
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(onClick(event.notification.data as NotificationData | null));
});

/**
 * A click on a system notification cannot be scripted from a page, so the
 * end-to-end suite asks for one: `{type: "courier:click", tag}` runs the
 * same path as a real click on the notification with that tag. It gives a
 * same-origin script nothing it lacks already (it could post the receipt or
 * change the hash itself), so it ships in every build.
 */
self.addEventListener("message", (event) => {
  const data: unknown = event.data;
  if (isRecord(data) && data.type === "courier:language") {
    if (isPushLanguage(data.language)) event.waitUntil(rememberLanguage(data.language).catch(() => {}));
    return;
  }
  if (isRecord(data) && data.type === "courier:recalled") {
    // A live tab heard of a recall or a delete for me (no push comes for it): as that push would.
    const payload = toPayload(data.payload);
    if (payload?.kind && payload.conversationId) {
      const tag = `c:${payload.conversationId}`;
      event.waitUntil(worded(payload).then((p) => replaceRecalled(p, tag)));
    }
    return;
  }
  if (!isRecord(data) || data.type !== "courier:click" || typeof data.tag !== "string") return;
  const tag = data.tag;
  event.waitUntil(
    self.registration.getNotifications({ tag }).then(async (found) => {
      const notification = found[0];
      if (!notification) return;
      notification.close();
      await onClick(notification.data as NotificationData | null);
    }),
  );
});

async function onPush(message: PushMessageData | null): Promise<void> {
  let payload = readPayload(message);
  if (!payload) {
    // The browser requires a visible notification for every push; keep it neutral.
    await self.registration.showNotification("Courier", { body: newActivity(await language()), icon: ICON, tag: "courier" });
    return;
  }
  payload = await worded(payload);
  const tag = payload.tag ?? (payload.conversationId ? `c:${payload.conversationId}` : payload.category);
  if (payload.kind) return replaceRecalled(payload, tag);
  if (payload.conversationId && (await showingConversation(payload.conversationId))) return;
  const data: NotificationData = { url: payload.url, id: payload.id, conversationId: payload.conversationId, messageId: payload.messageId, count: payload.count };
  // A newer notification for the same conversation replaces the older one; let it be noticed again.
  await show(payload.title, payload, tag, data, { renotify: true });
  await receipt(payload.id, "displayed");
}

/** Shows (or, under a tag already shown, replaces) a notification with `payload`'s body and time. */
function show(title: string, payload: PushPayload, tag: string, data: NotificationData, how: { renotify?: boolean; silent?: boolean }): Promise<void> {
  const options = { body: payload.body, tag, icon: ICON, badge: ICON, timestamp: payload.at, data, ...how };
  return self.registration.showNotification(title, options as NotificationOptions);
}

/**
 * A message was recalled: a notification that shows it is replaced by one
 * without its text, under the same tag and quietly (nothing new to hear).
 * A collapsed one ("3 new messages from Ann") keeps its title; its preview
 * was the recalled message. Nothing else changes: a notification showing
 * another message never showed this text. A message deleted for oneself
 * (kind "hide") is replaced the same way, keeping the title.
 */
async function replaceRecalled(payload: PushPayload, tag: string): Promise<void> {
  const shown = await self.registration.getNotifications({ tag });
  const showing = shown.find((n) => (n.data as NotificationData | null)?.messageId === payload.messageId);
  if (!showing) return;
  const before = showing.data as NotificationData;
  const data: NotificationData = { url: before.url, id: before.id, conversationId: before.conversationId, count: before.count };
  const keepTitle = payload.kind === "hide" || (before.count ?? 1) > 1;
  await show(keepTitle ? showing.title : payload.title, payload, tag, data, { silent: true });
}

async function onClick(data: NotificationData | null): Promise<void> {
  const target = new URL(data?.url ?? "/", self.location.origin);
  if (target.origin !== self.location.origin) return;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const tab = windows.find((c) => new URL(c.url).origin === self.location.origin);
  if (tab) {
    // Moving the tab by message keeps it loaded (no reload, no detour via the home screen).
    const message: SwToPage = { type: "courier:navigate", url: target.pathname + target.hash };
    tab.postMessage(message);
    await tab.focus().catch(() => {});
  } else {
    await self.clients.openWindow(target.href);
  }
  await receipt(data?.id, "clicked");
}

/** How long a tab gets to say what it shows before the notification goes out anyway. */
const ASK_TIMEOUT_MS = 300;

/**
 * True when a visible tab shows this conversation: a notification would only
 * repeat what is on screen. Each tab is asked (its URL as the worker sees it
 * may be stale after in-page navigation); one that does not answer in time
 * counts as not showing it.
 */
async function showingConversation(conversationId: string): Promise<boolean> {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const answers = await Promise.all(windows.filter((c) => c.visibilityState === "visible").map(ask));
  return answers.some((a) => a?.visible === true && a.conversationId === conversationId);
}

function ask(client: WindowClient): Promise<ShowingAnswer | null> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), ASK_TIMEOUT_MS);
    channel.port1.onmessage = (event: MessageEvent<unknown>) => {
      clearTimeout(timer);
      const data = event.data;
      resolve(isRecord(data) && typeof data.visible === "boolean" ? { visible: data.visible, conversationId: typeof data.conversationId === "string" ? data.conversationId : null } : null);
    };
    const query: SwToPage = { type: "courier:showing?" };
    client.postMessage(query, [channel.port2]);
  });
}

async function receipt(id: string | undefined, event: PushReceipt["event"]): Promise<void> {
  if (!id) return;
  const body: PushReceipt = { id, event };
  try {
    await fetch(RECEIPTS, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), credentials: "same-origin" });
  } catch {
    // The funnel misses one count; the person is not bothered.
  }
}

function readPayload(data: PushMessageData | null): PushPayload | null {
  try {
    return toPayload(data?.json());
  } catch {
    return null;
  }
}

/** The payload, checked by hand: zod would make this file a bundle of its own. */
function toPayload(value: unknown): PushPayload | null {
  if (!isRecord(value)) return null;
  const { category, title, body, url, count, at, conversationId, tag, id, messageId, kind, words } = value;
  if (typeof title !== "string" || typeof body !== "string" || typeof url !== "string") return null;
  if (category !== "chat" && category !== "order" && category !== "follow" && category !== "marketing") return null;
  return {
    category,
    title: title.slice(0, 200),
    body: body.slice(0, 1000),
    url,
    count: typeof count === "number" && count > 0 ? count : 1,
    at: typeof at === "number" ? at : Date.now(),
    conversationId: typeof conversationId === "string" ? conversationId : undefined,
    tag: typeof tag === "string" ? tag : undefined,
    id: typeof id === "string" ? id : undefined,
    messageId: typeof messageId === "string" ? messageId : undefined,
    kind: kind === "recall" || kind === "hide" ? kind : undefined,
    // One it cannot read is left out: the title and body are shown as they came.
    words: readWords(words) ?? undefined,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
