import { describe, expect, it, vi } from "vitest";
import {
  CHOICE_KEY,
  LAST_TRANSPORT_KEY,
  choiceFromUrl,
  ladderFor,
  saveChoice,
  savedChoice,
  storageMemory,
  supportedTransports,
} from "./transport-choice.js";

function memoryStorage(): Pick<Storage, "getItem" | "setItem"> & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (key) => data.get(key) ?? null, setItem: (key, value) => void data.set(key, value) };
}

describe("transport choice", () => {
  it("reads ?transport= from the page address, ignoring anything else", () => {
    expect(choiceFromUrl("?transport=sse")).toBe("sse");
    expect(choiceFromUrl("?x=1&transport=poll")).toBe("poll");
    expect(choiceFromUrl("?transport=auto")).toBe("auto");
    expect(choiceFromUrl("?transport=carrier-pigeon")).toBeNull();
    expect(choiceFromUrl("")).toBeNull();
  });

  it("orders the ladder ws → sse → poll, skipping what the browser lacks", () => {
    expect(ladderFor("auto", ["poll", "ws", "sse"])).toEqual(["ws", "sse", "poll"]);
    expect(ladderFor("auto", ["sse", "poll"])).toEqual(["sse", "poll"]);
    expect(ladderFor("sse", ["ws", "sse", "poll"])).toEqual(["sse"]);
    // A forced transport the browser cannot run would never connect: choose automatically instead.
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(ladderFor("sse", ["ws", "poll"])).toEqual(["ws", "poll"]);
    warn.mockRestore();
  });

  it("detects WebSocket, EventSource and fetch", () => {
    const fn = () => {};
    expect(supportedTransports({ WebSocket: fn, EventSource: fn, fetch: fn })).toEqual(["ws", "sse", "poll"]);
    expect(supportedTransports({ fetch: fn })).toEqual(["poll"]);
    expect(supportedTransports({})).toEqual([]);
  });

  it("keeps the setting and the last working transport in storage, and survives storage that throws", () => {
    const storage = memoryStorage();
    expect(savedChoice(storage)).toBe("auto");
    saveChoice(storage, "poll");
    expect(storage.data.get(CHOICE_KEY)).toBe("poll");
    expect(savedChoice(storage)).toBe("poll");

    const memory = storageMemory(storage);
    memory.save("sse");
    expect(storage.data.get(LAST_TRANSPORT_KEY)).toBe("sse");
    expect(memory.load()).toBe("sse");
    storage.data.set(LAST_TRANSPORT_KEY, "telegraph");
    expect(memory.load()).toBeNull();

    const broken = {
      getItem: () => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
    };
    expect(savedChoice(broken)).toBe("auto");
    expect(() => saveChoice(broken, "ws")).not.toThrow();
    expect(storageMemory(broken).load()).toBeNull();
  });
});
