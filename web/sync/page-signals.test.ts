import { beforeEach, describe, expect, it } from "vitest";
import { watchPage, type PageEnvironment } from "./page-signals.js";

let page: EventTarget & { visibilityState: DocumentVisibilityState };
let win: EventTarget;
let env: PageEnvironment;
/** What the transport and the caller were told, in order. */
let told: string[];

const transport = {
  setHidden: (hidden: boolean) => void told.push(hidden ? "hidden" : "visible"),
  wake: () => void told.push("wake"),
};
const handlers = {
  onVisible: () => void told.push("onVisible"),
  onOnline: () => void told.push("onOnline"),
  onOffline: () => void told.push("onOffline"),
};

function show(state: DocumentVisibilityState): void {
  page.visibilityState = state;
  page.dispatchEvent(new Event("visibilitychange"));
}

beforeEach(() => {
  page = Object.assign(new EventTarget(), { visibilityState: "visible" as DocumentVisibilityState });
  win = new EventTarget();
  env = { document: page, window: win };
  told = [];
});

describe("watchPage", () => {
  it("tells the transport the page's visibility at once", () => {
    page.visibilityState = "hidden";
    watchPage(transport, handlers, env);
    expect(told).toEqual(["hidden"]);
  });

  it("hidden: the transport slows down; visible again: it is told, woken (ping now), then the caller hears of it", () => {
    watchPage(transport, handlers, env);
    show("hidden");
    show("visible");
    expect(told).toEqual(["visible", "hidden", "visible", "wake", "onVisible"]);
  });

  it("ignores visibilitychange events that change nothing", () => {
    watchPage(transport, handlers, env);
    show("visible");
    show("hidden");
    show("hidden");
    expect(told).toEqual(["visible", "hidden"]);
  });

  it("offline and online: the transport checks its link now (ping or reconnect), then the caller", () => {
    watchPage(transport, handlers, env);
    win.dispatchEvent(new Event("offline"));
    win.dispatchEvent(new Event("online"));
    expect(told).toEqual(["visible", "wake", "onOffline", "wake", "onOnline"]);
  });

  it("stops listening when asked", () => {
    const stop = watchPage(transport, handlers, env);
    stop();
    show("hidden");
    win.dispatchEvent(new Event("online"));
    expect(told).toEqual(["visible"]);
  });
});
