import type { Api } from "../api/client.js";
import { deviceRegistration } from "../api/device-registration.js";
import { t } from "../i18n/index.js";

/**
 * Web Push for this browser: the service worker, the permission, the
 * subscription and telling the server about it. The permission is only ever
 * asked for from `enable()`, which the UI calls from a click after saying
 * why (features/notifications/).
 *
 *   unsupported          (no service worker / Push API / Notification)
 *   default ──enable()──▶ on ◀──enable()── off
 *      │          │  ▲            disable() ──┘
 *      │          │  └── push service unreachable ──▶ unreachable (retry with enable())
 *      └──────────┴──▶ denied   (the person or the browser said no; only site settings undo it)
 */
export type NotificationState = "unsupported" | "default" | "denied" | "on" | "off" | "unreachable";

/** Where the person's choice for this browser is kept (the permission alone can't say "off"). */
const CHOICE_KEY = "courier.notifications";

export const SW_URL = "/sw.js";

/**
 * The service worker keeps the app shell (offline start) and shows pushes.
 * A browser can have it without Web Push (WebKit, Safari in an ordinary iOS
 * tab): it still gets the worker, for the shell.
 */
export function serviceWorkerSupported(): boolean {
  return typeof navigator !== "undefined" && "serviceWorker" in navigator;
}

export function pushSupported(): boolean {
  return typeof window !== "undefined" && serviceWorkerSupported() && "PushManager" in window && typeof Notification !== "undefined";
}

/** Registers the service worker wherever there is one (no prompt: that is only `enable()`). Safe to call at every start. */
export async function registerServiceWorker(): Promise<ServiceWorkerRegistration | null> {
  if (!serviceWorkerSupported()) return null;
  try {
    return await navigator.serviceWorker.register(SW_URL, { scope: "/" });
  } catch (error) {
    console.warn("courier: service worker registration failed", error);
    return null;
  }
}

/** What this browser's notifications are, without asking anything. */
export async function currentState(): Promise<NotificationState> {
  if (!pushSupported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  if (Notification.permission === "default") return "default";
  if (localStorage.getItem(CHOICE_KEY) === "off") return "off";
  const registration = await navigator.serviceWorker.getRegistration(SW_URL);
  const subscription = await registration?.pushManager.getSubscription();
  return subscription ? "on" : "off";
}

/**
 * Asks for the permission (call it from a click), subscribes with the
 * server's VAPID key and registers the subscription for this device.
 * Resolves to the resulting state; a push service that can't be reached is
 * "unreachable", not an exception, because the app works on without it.
 */
export async function enable(api: Api, deviceId: string, timers: Timers = globalThis): Promise<NotificationState> {
  if (!pushSupported()) return "unsupported";
  const permission = await askPermission(timers);
  if (permission !== "granted") {
    await api.registerDevice(deviceId, deviceRegistration()).catch(() => {});
    return permission === "denied" ? "denied" : "default";
  }
  localStorage.setItem(CHOICE_KEY, "on");
  return subscribeAndRegister(api, deviceId);
}

/** How long the browser gets to answer the permission request before the app says it did not. */
export const PERMISSION_TIMEOUT_MS = 20_000;

/** The browser never answered `Notification.requestPermission()` (seen in headless Firefox); the person can try again. */
export class PermissionTimeoutError extends Error {
  constructor() {
    super(t("connection.push.permissionTimeout"));
    this.name = "PermissionTimeoutError";
  }
}

/** The clock `enable()` waits on (tests pass fake timers). */
export type Timers = Pick<typeof globalThis, "setTimeout" | "clearTimeout">;

/** The permission, or PermissionTimeoutError when the browser has not answered in PERMISSION_TIMEOUT_MS. */
async function askPermission(timers: Timers): Promise<NotificationPermission> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = timers.setTimeout(() => reject(new PermissionTimeoutError()), PERMISSION_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Notification.requestPermission(), timeout]);
  } finally {
    timers.clearTimeout(timer);
  }
}

/**
 * At every start (and when the service worker says the browser replaced the
 * subscription): if notifications are on here, makes sure the server holds
 * this browser's current subscription for this device. That covers another
 * account signing in on the same browser (a new device id), a subscription
 * the server dropped after the push service said it was gone, one the
 * browser rotated, and one made for a VAPID key the server no longer has.
 * Never prompts.
 */
export async function resync(api: Api, deviceId: string): Promise<void> {
  if (!pushSupported() || Notification.permission !== "granted" || localStorage.getItem(CHOICE_KEY) !== "on") return;
  await subscribeAndRegister(api, deviceId);
}

async function subscribeAndRegister(api: Api, deviceId: string): Promise<NotificationState> {
  const registration = (await registerServiceWorker()) ?? (await navigator.serviceWorker.ready);
  // Courier's own server first: failing here is "you're offline", not the push service's fault (it throws).
  const key = fromBase64Url(await api.vapidKey());
  let subscription: PushSubscription;
  try {
    let current = await registration.pushManager.getSubscription();
    // Made for another key (the server's data was replaced): the push service would refuse our sends.
    if (current && !sameBytes(current.options.applicationServerKey, key)) {
      await current.unsubscribe().catch(() => false);
      current = null;
    }
    subscription = current ?? (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }));
  } catch (error) {
    console.warn("courier: push subscription failed", error);
    return "unreachable";
  }
  const json = subscription.toJSON();
  const p256dh = json.keys?.p256dh;
  const auth = json.keys?.auth;
  if (!json.endpoint || !p256dh || !auth) return "unreachable";
  await api.registerDevice(deviceId, deviceRegistration({ endpoint: json.endpoint, keys: { p256dh, auth } }));
  return "on";
}

function sameBytes(a: ArrayBuffer | null, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.byteLength) return false;
  const view = new Uint8Array(a);
  return view.every((byte, i) => byte === b[i]);
}

/** Turns notifications off for this browser: unsubscribes and tells the server. */
export async function disable(api: Api, deviceId: string): Promise<NotificationState> {
  localStorage.setItem(CHOICE_KEY, "off");
  if (!pushSupported()) return "unsupported";
  const registration = await navigator.serviceWorker.getRegistration(SW_URL);
  const subscription = await registration?.pushManager.getSubscription();
  await subscription?.unsubscribe().catch(() => false);
  await api.registerDevice(deviceId, deviceRegistration(null));
  return "off";
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  const bytes = atob(base64);
  const out = new Uint8Array(new ArrayBuffer(bytes.length));
  for (let i = 0; i < bytes.length; i++) out[i] = bytes.charCodeAt(i);
  return out;
}
