import { ConsumerRegistry } from "../../shared/sync/consumers.js";
import { SyncEngine } from "../../shared/sync/engine.js";
import type { SyncEvent, SyncSource, SyncStats } from "../../shared/sync/types.js";
import {
  CourierError,
  PROTOCOL_VERSION,
  type Entry,
  type Hello,
  type Message,
  type PullRequest,
  type SendRequest,
  type Summary,
  type TransportName,
  type User,
  type Versions,
} from "../../shared/protocol/index.js";
import type { Api } from "../api/client.js";
import { NetworkError } from "../api/errors.js";
import { registerConsumers } from "../db/consumers.js";
import type { CourierDb } from "../db/database.js";
import { DexieSyncStore } from "../db/store.js";
import { useConnection } from "../stores/connection.js";
import { OutboxSender } from "./outbox-sender.js";
import type { Transport, TransportStatus } from "./transport.js";

export interface SyncClientOptions {
  user: User;
  deviceId: string;
  db: CourierDb;
  api: Api;
  transport: Transport;
  /** The server no longer accepts this session, or it belongs to someone else now. */
  onSessionLost(reason: "unauthorized" | "user_changed"): void;
  /** The server says our device id belongs to another account: get a new one. */
  onDeviceConflict(): void;
}

/** Without a hello this long after start, catch up over HTTP anyway. */
const HELLO_GRACE_MS = 3_000;
/** How long connecting waits for the device registration to be answered. */
const REGISTER_WAIT_MS = 2_000;


/**
 * Wires one signed-in session together: transport (server → client), the
 * sync engine (ordering, holes, acks), the Dexie store and consumers, and
 * the outbox. The UI never talks to the transport; it reads IndexedDB and
 * calls `send`/`retry`/`discard` here.
 *
 *   start ─▶ engine.start (local versions) ─▶ register device ─▶ connect
 *   hello ─▶ engine.hello(heads) (pulls if behind, re-acks) + flush outbox
 *   push  ─▶ engine.receive(entries)
 *   visible / online ─▶ transport.wake + engine.catchUp
 */
export class SyncClient {
  readonly outbox: OutboxSender;
  private readonly engine: SyncEngine;
  private readonly registry = new ConsumerRegistry();
  private readonly cleanups: Array<() => void> = [];
  private helloTimer: ReturnType<typeof setTimeout> | null = null;
  private summaryRefresh: Promise<void> | null = null;
  private greeted = false;
  private stopped = false;

  constructor(private readonly opts: SyncClientOptions) {
    const { db, user } = opts;
    this.cleanups.push(
      registerConsumers(this.registry, db, user.id, {
        onMissingSummary: () => this.scheduleSummaryRefresh(),
        onCommand: (name) => {
          // Runs after the current transaction: a snapshot must not nest inside an apply.
          if (name === "resync") setTimeout(() => this.engine.resync(), 0);
          else console.info(`courier: ignoring command "${name}"`);
        },
      }),
    );
    this.engine = new SyncEngine({
      source: this.source(),
      store: new DexieSyncStore(db, this.registry, user.id),
      onEvent: (event) => this.onEngineEvent(event),
    });
    this.outbox = new OutboxSender({
      db,
      send: (request) => this.sendMessage(request),
      onReauth: () => this.verifySession(),
    });
  }

  get transportName(): TransportName | null {
    return this.opts.transport.online ? this.opts.transport.name : null;
  }
  get versions(): Versions {
    return this.engine.versions;
  }
  get stats(): SyncStats {
    return this.engine.stats;
  }
  idle(): Promise<void> {
    return this.engine.idle();
  }

  async start(): Promise<void> {
    await this.engine.start();
    if (this.stopped) return;
    this.listen();
    // Capabilities should be on record before pushes start (the server only
    // retransmits to devices that ack), but a slow answer must not hold up going live.
    await Promise.race([this.registerDevice(), new Promise((resolve) => setTimeout(resolve, REGISTER_WAIT_MS))]);
    if (this.stopped) return;
    this.opts.transport.connect({
      onHello: (hello) => this.onHello(hello),
      onPush: (entries) => this.onPush(entries),
      onStatus: (status) => this.onStatus(status),
      onRefused: (code) => {
        if (code === "unauthorized") this.verifySession();
        else if (code === "conflict") this.opts.onDeviceConflict();
      },
    });
    // Pending messages from an earlier visit go out over HTTP if the socket is slow.
    this.outbox.flush();
    this.helloTimer = setTimeout(() => {
      this.helloTimer = null;
      if (!this.greeted) this.engine.catchUp();
    }, HELLO_GRACE_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.outbox.stop();
    this.engine.stop();
    this.opts.transport.close();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  /**
   * Makes a conversation just opened over HTTP available locally. Its `conv`
   * entry follows through sync; until then the server's answer stands in
   * (never over a summary we already hold: that one is as new or newer).
   */
  async adopt(opened: { conversation: { id: string }; summary?: Summary }): Promise<void> {
    const { summary } = opened;
    if (!summary) return this.ensureSummaries();
    const db = this.opts.db;
    await db.transaction("rw", db.conversations, async () => {
      if (!(await db.conversations.get(summary.conversationId))) await db.conversations.put(summary);
    });
  }

  /** Fetches conversation summaries we lack (after creating one, or a consumer found none). */
  ensureSummaries(): Promise<void> {
    this.summaryRefresh ??= (async () => {
      try {
        const summaries = await this.opts.api.listConversations();
        const db = this.opts.db;
        await db.transaction("rw", db.conversations, async () => {
          const have = new Set((await db.conversations.toCollection().primaryKeys()) as string[]);
          await db.conversations.bulkPut(summaries.filter((s) => !have.has(s.conversationId)));
        });
      } finally {
        this.summaryRefresh = null;
      }
    })();
    return this.summaryRefresh;
  }

  // ── transport events ───────────────────────────────────────────────────

  private onHello(hello: Hello): void {
    if (hello.userId !== this.opts.user.id) {
      // NOTE: cookies are shared by every tab; another tab signed in as someone else.
      this.opts.onSessionLost("user_changed");
      return;
    }
    this.greeted = true;
    this.engine.hello(hello.heads);
    this.outbox.flush();
  }

  private onPush(entries: Entry[]): void {
    this.engine.receive(entries);
  }

  private onStatus(status: TransportStatus): void {
    useConnection.getState().setStatus(status, status === "online" ? this.opts.transport.name : null);
  }

  // ── sync source: the transport when it is up, HTTP otherwise ───────────

  private source(): SyncSource {
    const { api, transport } = this.opts;
    return {
      pull: async (request: PullRequest) => {
        if (transport.online) {
          try {
            return await transport.pull(request);
          } catch (error) {
            if (!(error instanceof NetworkError)) throw error;
          }
        }
        return api.pull(request);
      },
      snapshot: () => api.snapshot(),
      ack: async (acks) => {
        if (transport.online) {
          try {
            return await transport.ack(acks);
          } catch (error) {
            if (!(error instanceof NetworkError)) throw error;
          }
        }
        return api.ack(acks);
      },
    };
  }

  private async sendMessage(request: SendRequest): Promise<Message> {
    const { api, transport } = this.opts;
    if (transport.online) {
      try {
        return await transport.send(request);
      } catch (error) {
        // Timed out or dropped mid-send: HTTP with the same clientMsgId is idempotent.
        if (!(error instanceof NetworkError)) throw error;
      }
    }
    return api.send(request);
  }

  // ── helpers ────────────────────────────────────────────────────────────

  private listen(): void {
    const onVisible = () => {
      if (document.visibilityState !== "visible") return;
      this.opts.transport.wake();
      this.engine.catchUp();
      this.outbox.flush();
    };
    const onOnline = () => {
      useConnection.getState().setBrowserOffline(false);
      this.opts.transport.wake();
      this.outbox.flush();
    };
    const onOffline = () => useConnection.getState().setBrowserOffline(true);
    document.addEventListener("visibilitychange", onVisible);
    window.addEventListener("online", onOnline);
    window.addEventListener("offline", onOffline);
    this.cleanups.push(() => {
      document.removeEventListener("visibilitychange", onVisible);
      window.removeEventListener("online", onOnline);
      window.removeEventListener("offline", onOffline);
    });
  }

  private async registerDevice(): Promise<void> {
    const notification = typeof Notification === "undefined" ? undefined : Notification.permission;
    try {
      await this.opts.api.registerDevice(this.opts.deviceId, {
        protocol: PROTOCOL_VERSION,
        capabilities: ["ack"],
        userAgent: navigator.userAgent.slice(0, 512),
        notification,
      });
    } catch (error) {
      if (error instanceof CourierError && error.code === "conflict") this.opts.onDeviceConflict();
      // Offline start: the transport handshake still carries the device id.
      else console.warn("courier: device registration failed", error);
    }
  }

  private scheduleSummaryRefresh(): void {
    // After the current transaction: consumers must not do network I/O inside it.
    setTimeout(() => void this.ensureSummaries().catch(() => {}), 0);
  }

  private verifySession(): void {
    this.opts.api.me().then(
      (me) => {
        if (me.id !== this.opts.user.id) this.opts.onSessionLost("user_changed");
      },
      () => {
        // Http.onUnauthorized already reported a 401; a network error proves nothing.
      },
    );
  }

  private onEngineEvent(event: SyncEvent): void {
    if (event.type === "apply_failed") console.error("courier: applying entries failed", event.error);
  }
}
