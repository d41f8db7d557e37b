import { afterEach, describe, expect, it, vi } from "vitest";
import { IllegalTransitionError, LinkMachine, type TransitionTable } from "./link-machine.js";
import { POLL_TRANSITIONS } from "./poll-transport.js";
import { SSE_TRANSITIONS } from "./sse-transport.js";
import { WS_TRANSITIONS } from "./ws-transport.js";

type Light = { name: "off" } | { name: "on"; since: number } | { name: "broken" };
const LIGHT: TransitionTable<Light["name"]> = { off: ["on"], on: ["on", "off", "broken"], broken: [] };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("LinkMachine", () => {
  it("moves along the table, returns the state it left and tells the listener, self-transitions included", () => {
    const seen: string[] = [];
    const machine = new LinkMachine<Light>({
      label: "light",
      initial: { name: "off" },
      transitions: LIGHT,
      onTransition: (from, to) => seen.push(`${from}→${to}`),
    });
    expect(machine.to({ name: "on", since: 1 })).toEqual({ name: "off" });
    expect(machine.to({ name: "on", since: 2 })).toEqual({ name: "on", since: 1 });
    expect(machine.state).toEqual({ name: "on", since: 2 });
    expect(machine.can("broken")).toBe(true);
    machine.to({ name: "broken" });
    expect(machine.can("off")).toBe(false);
    expect(seen).toEqual(["off→on", "on→on", "on→broken"]);
  });

  it("throws on an illegal transition in development and tests, and stays where it was", () => {
    const seen: string[] = [];
    const machine = new LinkMachine<Light>({ label: "light", initial: { name: "off" }, transitions: LIGHT, onTransition: (f, t) => seen.push(`${f}→${t}`) });
    expect(() => machine.to({ name: "broken" })).toThrow(IllegalTransitionError);
    expect(() => machine.to({ name: "off" })).toThrow("courier: light link: illegal transition off → off");
    expect(machine.state).toEqual({ name: "off" });
    expect(seen).toEqual([]);
  });

  it("is strict by default outside a production build", () => {
    const machine = new LinkMachine<Light>({ label: "light", initial: { name: "off" }, transitions: LIGHT });
    expect(() => machine.to({ name: "broken" })).toThrow(IllegalTransitionError);
  });

  it("in a production build logs an illegal transition and carries it out rather than leave the link stuck", () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const machine = new LinkMachine<Light>({ label: "light", initial: { name: "off" }, transitions: LIGHT, strict: false });
    expect(machine.to({ name: "broken" })).toEqual({ name: "off" });
    expect(machine.state).toEqual({ name: "broken" });
    expect(error).toHaveBeenCalledWith("courier: light link: illegal transition off → broken");
  });
});

/** Every edge a transport's table allows, as "from→to". */
function edges<N extends string>(table: TransitionTable<N>): string[] {
  return (Object.keys(table) as N[]).flatMap((from) => table[from].map((to) => `${from}→${to}`)).sort();
}

/** A machine of `table` standing in `from`, so a test can try one move. */
function standingIn<N extends string>(table: TransitionTable<N>, from: N): LinkMachine<{ name: N }> {
  return new LinkMachine<{ name: N }>({ label: "test", initial: { name: from }, transitions: table });
}

describe("the transports' state tables", () => {
  it("WebSocket: only a connection says hello; close() leaves every state; a wait ends only in a new connection", () => {
    expect(edges(WS_TRANSITIONS)).toEqual(
      [
        "idle→connecting",
        "idle→waiting", // the socket could not even be created
        "connecting→online",
        "connecting→waiting",
        "connecting→idle",
        "online→online", // a repeated hello restarts the heartbeat
        "online→waiting",
        "online→idle",
        "waiting→connecting",
        "waiting→waiting",
        "waiting→idle",
      ].sort(),
    );
    expect(() => standingIn(WS_TRANSITIONS, "idle").to({ name: "online" })).toThrow(IllegalTransitionError);
    expect(() => standingIn(WS_TRANSITIONS, "waiting").to({ name: "online" })).toThrow(IllegalTransitionError);
    expect(() => standingIn(WS_TRANSITIONS, "connecting").to({ name: "connecting" })).toThrow(IllegalTransitionError);
    expect(() => standingIn(WS_TRANSITIONS, "idle").to({ name: "idle" })).toThrow(IllegalTransitionError);
  });

  it("SSE: a reset leads through a snapshot to a new stream, never straight back online", () => {
    expect(edges(SSE_TRANSITIONS)).toEqual(
      [
        "idle→connecting",
        "idle→waiting",
        "connecting→online",
        "connecting→resetting",
        "connecting→waiting",
        "connecting→idle",
        "online→online",
        "online→resetting",
        "online→waiting",
        "online→idle",
        "resetting→connecting",
        "resetting→waiting", // a repeated reset backs off
        "resetting→idle",
        "waiting→connecting",
        "waiting→waiting",
        "waiting→idle",
      ].sort(),
    );
    expect(() => standingIn(SSE_TRANSITIONS, "resetting").to({ name: "online" })).toThrow(IllegalTransitionError);
    expect(() => standingIn(SSE_TRANSITIONS, "waiting").to({ name: "resetting" })).toThrow(IllegalTransitionError);
    expect(() => standingIn(SSE_TRANSITIONS, "idle").to({ name: "online" })).toThrow(IllegalTransitionError);
  });

  it("long-poll: every answer leads to the next poll; a wait only to a poll", () => {
    expect(edges(POLL_TRANSITIONS)).toEqual(
      [
        "idle→polling",
        "polling→polling", // an answer, or wake() asking again
        "polling→pausing",
        "polling→resetting",
        "polling→waiting",
        "polling→idle",
        "pausing→polling",
        "pausing→idle",
        "resetting→polling",
        "resetting→pausing",
        "resetting→idle",
        "waiting→polling",
        "waiting→idle",
      ].sort(),
    );
    expect(() => standingIn(POLL_TRANSITIONS, "idle").to({ name: "pausing" })).toThrow(IllegalTransitionError);
    expect(() => standingIn(POLL_TRANSITIONS, "waiting").to({ name: "pausing" })).toThrow(IllegalTransitionError);
    expect(() => standingIn(POLL_TRANSITIONS, "pausing").to({ name: "waiting" })).toThrow(IllegalTransitionError);
    expect(() => standingIn(POLL_TRANSITIONS, "waiting").to({ name: "waiting" })).toThrow(IllegalTransitionError);
  });
});
