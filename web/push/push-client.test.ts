import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Api } from "../api/client.js";
import { useNotifications } from "../features/notifications/use-notifications.js";
import { enable, PERMISSION_TIMEOUT_MS, PermissionTimeoutError, registerServiceWorker, resync } from "./push-client.js";

/**
 * The browser's push objects are stand-ins here (Node has none); what is
 * checked is what reaches the server for this device, and when the browser's
 * subscription must be replaced.
 */
const SERVER_KEY = new Uint8Array(65).fill(7);
const serverKeyText = Buffer.from(SERVER_KEY).toString("base64url");

class FakeSubscription {
  unsubscribed = false;
  constructor(
    readonly endpoint: string,
    readonly key: Uint8Array,
  ) {}
  get options() {
    return { applicationServerKey: this.key.buffer.slice(0) as ArrayBuffer, userVisibleOnly: true };
  }
  toJSON() {
    return { endpoint: this.endpoint, keys: { p256dh: "p".repeat(87), auth: "a".repeat(22) } };
  }
  async unsubscribe() {
    this.unsubscribed = true;
    return true;
  }
}

let current: FakeSubscription | null;
let subscribed: Uint8Array[];
let registered: { deviceId: string; push: unknown }[];
let api: Api;
let registrations: string[];
const storage = new Map<string, string>();

beforeEach(() => {
  current = null;
  subscribed = [];
  registered = [];
  storage.clear();
  const pushManager = {
    getSubscription: async () => current,
    subscribe: async (opts: { applicationServerKey: Uint8Array }) => {
      subscribed.push(opts.applicationServerKey);
      current = new FakeSubscription(`https://push.example/${subscribed.length}`, opts.applicationServerKey);
      return current;
    },
  };
  const registration = { pushManager };
  registrations = [];
  vi.stubGlobal("window", { PushManager: class {} });
  vi.stubGlobal("navigator", { serviceWorker: { register: async (url: string) => (registrations.push(url), registration), ready: Promise.resolve(registration) }, userAgent: "test" });
  vi.stubGlobal("Notification", { permission: "granted" });
  vi.stubGlobal("localStorage", { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v) });
  api = {
    vapidKey: async () => serverKeyText,
    registerDevice: async (deviceId: string, body: { push?: unknown }) => void registered.push({ deviceId, push: body.push }),
  } as unknown as Api;
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("push resync at start", () => {
  it("re-sends this browser's subscription for the signed-in device (e.g. another account on the same browser)", async () => {
    storage.set("courier.notifications", "on");
    current = new FakeSubscription("https://push.example/kept", SERVER_KEY);
    await resync(api, "device-b");
    expect(subscribed).toEqual([]);
    expect(registered).toEqual([{ deviceId: "device-b", push: { endpoint: "https://push.example/kept", keys: current.toJSON().keys } }]);
  });

  it("replaces a subscription made for a VAPID key the server no longer has", async () => {
    storage.set("courier.notifications", "on");
    const stale = new FakeSubscription("https://push.example/old", new Uint8Array(65).fill(1));
    current = stale;
    await resync(api, "device-a");
    expect(stale.unsubscribed).toBe(true);
    expect(subscribed).toHaveLength(1);
    expect(registered.map((r) => (r.push as { endpoint: string }).endpoint)).toEqual(["https://push.example/1"]);
  });

  it("subscribes again when notifications are on here but the browser lost its subscription", async () => {
    storage.set("courier.notifications", "on");
    await resync(api, "device-a");
    expect(registered.map((r) => (r.push as { endpoint: string }).endpoint)).toEqual(["https://push.example/1"]);
  });

  it("does nothing when the person turned notifications off here, or never granted them", async () => {
    storage.set("courier.notifications", "off");
    current = new FakeSubscription("https://push.example/kept", SERVER_KEY);
    await resync(api, "device-a");
    storage.set("courier.notifications", "on");
    vi.stubGlobal("Notification", { permission: "default" });
    await resync(api, "device-a");
    expect(registered).toEqual([]);
    expect(subscribed).toEqual([]);
  });
});

describe("the service worker without Web Push (issue 17)", () => {
  it("is registered where there is a service worker but no PushManager (WebKit, an iOS tab): it keeps the app shell", async () => {
    vi.stubGlobal("window", {});
    expect(await registerServiceWorker()).not.toBeNull();
    expect(registrations).toEqual(["/sw.js"]);
  });

  it("is registered where there is no Notification either, and Web Push stays unsupported there", async () => {
    vi.stubGlobal("window", {});
    vi.stubGlobal("Notification", undefined);
    expect(await registerServiceWorker()).not.toBeNull();
    expect(await enable(api, "device-a")).toBe("unsupported");
    expect(registrations).toEqual(["/sw.js"]);
    expect(subscribed).toEqual([]);
  });

  it("is not attempted where the browser has no service worker", async () => {
    vi.stubGlobal("navigator", { userAgent: "test" });
    expect(await registerServiceWorker()).toBeNull();
  });
});

describe("a permission request the browser never answers (issue 17)", () => {
  /** A browser whose permission prompt never settles (headless Firefox), or answers when `answer` is called. */
  function stubPermission(): { answer(p: NotificationPermission): void } {
    let answer: (p: NotificationPermission) => void = () => {};
    const requestPermission = () => new Promise<NotificationPermission>((resolve) => (answer = resolve));
    vi.stubGlobal("Notification", { permission: "default", requestPermission });
    return { answer: (p) => answer(p) };
  }

  it("gives up after the timeout with words saying where to turn notifications on, and asks nothing of the server", async () => {
    vi.useFakeTimers();
    stubPermission();
    let outcome: unknown = "pending";
    const asking = enable(api, "device-a").then(
      (state) => (outcome = state),
      (error: unknown) => (outcome = error),
    );
    await vi.advanceTimersByTimeAsync(PERMISSION_TIMEOUT_MS - 1);
    expect(outcome).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    await asking;
    expect(outcome).toBeInstanceOf(PermissionTimeoutError);
    expect((outcome as Error).message).toMatch(/did not answer.*Settings/);
    expect(registered).toEqual([]);
    expect(subscribed).toEqual([]);
  });

  it("goes on as usual when the browser answers in time", async () => {
    vi.useFakeTimers();
    const browser = stubPermission();
    const asking = enable(api, "device-a");
    await vi.advanceTimersByTimeAsync(PERMISSION_TIMEOUT_MS - 1);
    browser.answer("denied");
    expect(await asking).toBe("denied");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("brings the button back with the message: the offer and Settings are no longer busy", async () => {
    vi.useFakeTimers();
    stubPermission();
    useNotifications.setState({ state: "default", busy: false, error: null });
    const turningOn = useNotifications.getState().turnOn(api, "device-a");
    expect(useNotifications.getState().busy).toBe(true);
    await vi.advanceTimersByTimeAsync(PERMISSION_TIMEOUT_MS);
    await turningOn;
    expect(useNotifications.getState()).toMatchObject({ state: "default", busy: false });
    expect(useNotifications.getState().error).toMatch(/did not answer/);
  });
});
