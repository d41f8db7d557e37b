import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Domain, Entry, Hello, Snapshot, TransportName, Versions } from "../../shared/protocol/index.js";
import { zeroVersions } from "../../shared/protocol/index.js";
import { SyncEngine } from "../../shared/sync/engine.js";
import type { SyncStore } from "../../shared/sync/types.js";
import { Api } from "../../web/api/client.js";
import { deviceRegistration } from "../../web/api/device-registration.js";
import { Http } from "../../web/api/http.js";
import type { AnyMessage } from "../../web/api/lenient.js";
import { PollTransport } from "../../web/sync/poll-transport.js";
import { SseTransport } from "../../web/sync/sse-transport.js";
import type { Transport, TransportStatus } from "../../web/sync/transport.js";
import { socketIo, WsTransport } from "../../web/sync/ws-transport.js";
import { leanEventSource, nodeEventSource } from "./node-event-source.js";
import { browserAgent, leanFetch } from "./node-http.js";

export interface Credentials {
  userId: string;
  token: string;
  deviceId: string;
}

export interface NodeClientOptions extends Credentials {
  /** Server origin, e.g. http://127.0.0.1:3000. */
  url: string;
  transport: TransportName;
  /**
   * Runs the shared SyncEngine (ordering, holes, pulls, batched acks) over an
   * in-memory store, as the web app does over IndexedDB. Off: the transport
   * alone (idle connections), nothing applied or acked.
   */
  engine?: boolean;
  /**
   * The browser's native fetch and EventSource stood in for by node:http
   * (bench/lib/node-http.ts, node-event-source.ts) instead of Node's fetch (undici): the same
   * requests, a fraction of the generator's CPU. Default: Node's fetch.
   */
  lean?: boolean;
  /**
   * Lean clients: HTTP connections the client may hold at once, its SSE
   * stream's or long-poll's included, as a browser holds at most
   * BROWSER_CONNECTIONS_PER_HOST to one host; requests beyond them wait for
   * one. Default: that; 0: no limit (a new connection whenever none is free,
   * the generator before issue 16's ACCEPT round).
   */
  connections?: number;
  /** Entries the engine applied, in order, with the time (performance.now()) of the apply. */
  onApplied?(entries: Entry[], at: number): void;
  /** Entries as pushed by the transport, before the engine, with the time of arrival. */
  onPush?(entries: Entry[], at: number): void;
}

/**
 * A Courier client for Node made of the web app's own code: the transport
 * classes of web/sync (WebSocket, SSE, long-poll, each with its heartbeat and
 * reconnect logic), the HTTP API client of web/api and the shared sync
 * engine. What differs from the browser is only what Node lacks: no cookie
 * jar (a Bearer token on fetch, `auth.token` in the socket.io handshake), no
 * EventSource (bench/lib/node-event-source.ts) and no IndexedDB (an
 * in-memory store that timestamps each apply). The page is always "visible"
 * (heartbeat every H/2), the busier case.
 */
export class NodeClient {
  readonly api: Api;
  readonly transport: Transport;
  readonly engine: SyncEngine | null;
  status: TransportStatus = "connecting";
  hellos = 0;
  refusals: string[] = [];
  private helloWaiters: Array<() => void> = [];
  private readonly versions: Versions = zeroVersions();

  constructor(private readonly opts: NodeClientOptions) {
    const auth = { authorization: `Bearer ${opts.token}` };
    const agent = opts.lean ? browserAgent(opts.connections) : null;
    const http = new Http(
      opts.url,
      agent ? leanFetch(auth, agent) : (input, init) => fetch(input, { ...init, headers: { ...(init.headers as Record<string, string>), ...auth } }),
    );
    http.setDeviceId(opts.deviceId);
    this.api = new Api(http);
    const link = { log: null };
    switch (opts.transport) {
      case "ws": {
        const open = socketIo(opts.url, 8_000);
        this.transport = new WsTransport({ ...link, deviceId: opts.deviceId, url: opts.url, openSocket: (a) => open({ ...a, token: opts.token }) });
        break;
      }
      case "sse":
        this.transport = new SseTransport({ ...link, deviceId: opts.deviceId, api: this.api, base: opts.url, openStream: agent ? leanEventSource(auth, agent) : nodeEventSource(auth) });
        break;
      case "poll":
        this.transport = new PollTransport({ ...link, deviceId: opts.deviceId, api: this.api });
        break;
    }
    const store: SyncStore = {
      loadVersions: async () => ({ ...this.versions }),
      apply: async (d: Domain, entries: Entry[], version: number) => {
        this.versions[d] = version;
        opts.onApplied?.(entries, performance.now());
      },
      applySnapshot: async (snapshot: Snapshot) => {
        Object.assign(this.versions, snapshot.heads);
      },
    };
    const transport = this.transport;
    this.engine =
      opts.engine === false
        ? null
        : new SyncEngine({
            source: {
              pull: (request) => transport.pull(request),
              snapshot: () => this.api.snapshot() as Promise<Snapshot>,
              ack: (acks) => transport.ack(acks),
            },
            store,
          });
  }

  get deviceId(): string {
    return this.opts.deviceId;
  }

  /** Registers the device as the web app does (capability `ack`: the server retransmits), then connects; resolves on the first hello. */
  async start(opts: { register?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (opts.register !== false) await this.api.registerDevice(this.opts.deviceId, deviceRegistration());
    await this.engine?.start();
    const greeted = new Promise<void>((resolve) => this.helloWaiters.push(resolve));
    this.transport.connect({
      cursor: () => this.engine?.versions ?? zeroVersions(),
      onHello: (hello: Hello) => {
        this.hellos++;
        this.engine?.hello(hello.heads);
        for (const resolve of this.helloWaiters.splice(0)) resolve();
      },
      onPush: (entries: Entry[]) => {
        this.opts.onPush?.(entries, performance.now());
        this.engine?.receive(entries);
      },
      onStatus: (status) => {
        this.status = status;
      },
      onRefused: (code) => {
        this.refusals.push(code);
      },
      onReset: () => this.engine?.resync(),
    });
    const timeoutMs = opts.timeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no hello over ${this.opts.transport} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([greeted, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a text message the way this transport's web client does (socket event on WebSocket, HTTP POST otherwise). */
  send(conversationId: string, body: string, clientMsgId: string = randomUUID()): Promise<AnyMessage> {
    return this.transport.send({ clientMsgId, conversationId, kind: "text", body });
  }

  close(): void {
    this.engine?.stop();
    this.transport.close();
  }
}
