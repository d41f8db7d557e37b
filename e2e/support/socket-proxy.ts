import type { Page, WebSocketRoute } from "@playwright/test";

/**
 * The page's socket.io WebSocket routed through Playwright, frame by frame,
 * so a test can do to it what real networks do: cut it, freeze it (half-open:
 * nothing passes, nothing closes), duplicate and reorder the server's pushes,
 * or hold them and release them in an order of its choosing.
 *
 * Frames are engine.io v4 / socket.io v5 text: `42["push",[…]]` is an event,
 * `42<id>["pull",…]` an event with an ack id, `2`/`3` engine pings and pongs.
 */
export interface SocketProxy {
  /** Connections the page opened through the proxy so far. */
  readonly connections: number;
  /** Pull requests the page sent over the socket. */
  readonly pulls: number;
  /** Closes the live connections; the page may reconnect at once. */
  cut(): Promise<void>;
  /** Stops forwarding in both directions on the live connections without closing them. */
  freeze(): void;
  /** Server pushes are duplicated with probability `duplicate` and delayed up to `maxDelayMs` (so they overtake each other). */
  mangle(options: { random: () => number; duplicate: number; maxDelayMs: number } | null): void;
  /** Keeps server push frames back (other frames pass) until `release`. */
  hold(): void;
  /** The entries held back, de-duplicated by (domain, version). */
  held(): unknown[];
  /** Delivers the given entries as one push frame each, `gapMs` apart, then stops holding. */
  release(entries: unknown[], gapMs: number): Promise<void>;
}

interface Pair {
  page: WebSocketRoute;
  server: WebSocketRoute;
  frozen: boolean;
}

const PUSH_PREFIX = '42["push",';

export async function socketProxy(page: Page): Promise<SocketProxy> {
  const live = new Set<Pair>();
  let connections = 0;
  let pulls = 0;
  let mangling: { random: () => number; duplicate: number; maxDelayMs: number } | null = null;
  let holding = false;
  let heldFrames: string[] = [];
  let current: Pair | null = null;

  const deliver = (pair: Pair, frame: string) => {
    if (pair.frozen) return;
    try {
      pair.page.send(frame);
    } catch {
      // closed meanwhile: the client recovers by pull
    }
  };

  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    const pair: Pair = { page: ws, server, frozen: false };
    live.add(pair);
    current = pair;
    connections++;
    ws.onMessage((message) => {
      if (pair.frozen) return;
      const text = typeof message === "string" ? message : message.toString();
      if (/^42\d*\["pull"/.test(text)) pulls++;
      server.send(message);
    });
    server.onMessage((message) => {
      if (pair.frozen) return;
      const text = typeof message === "string" ? message : message.toString();
      if (!text.startsWith(PUSH_PREFIX)) return deliver(pair, text);
      if (holding) {
        heldFrames.push(text);
        return;
      }
      if (!mangling) return deliver(pair, text);
      const copies = mangling.random() < mangling.duplicate ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        const delay = Math.floor(mangling.random() * mangling.maxDelayMs);
        setTimeout(() => deliver(pair, text), delay);
      }
    });
    ws.onClose(() => {
      live.delete(pair);
      void server.close().catch(() => {});
    });
    server.onClose(() => {
      live.delete(pair);
      void ws.close().catch(() => {});
    });
  });

  return {
    get connections() {
      return connections;
    },
    get pulls() {
      return pulls;
    },
    async cut() {
      for (const pair of [...live]) {
        live.delete(pair);
        await pair.page.close({ code: 1006, reason: "cut by test" }).catch(() => {});
        await pair.server.close().catch(() => {});
      }
    },
    freeze() {
      for (const pair of live) pair.frozen = true;
    },
    mangle(options) {
      mangling = options;
    },
    hold() {
      holding = true;
      heldFrames = [];
    },
    held() {
      const byKey = new Map<string, unknown>();
      for (const frame of heldFrames) {
        const [, entries] = JSON.parse(frame.slice(2)) as [string, { d: string; v: number }[]];
        for (const entry of entries) byKey.set(`${entry.d}:${entry.v}`, entry);
      }
      return [...byKey.values()];
    },
    async release(entries, gapMs) {
      const pair = current;
      holding = false;
      if (!pair) return;
      for (const entry of entries) {
        deliver(pair, `42${JSON.stringify(["push", [entry]])}`);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    },
  };
}
