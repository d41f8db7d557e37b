import { ConsumerRegistry } from "../../shared/sync/consumers.js";
import { SyncEngine } from "../../shared/sync/engine.js";
import type { SyncEvent, SyncSource, SyncStats } from "../../shared/sync/types.js";
import {
  CourierError,
  type Domain,
  type Entry,
  type Hello,
  type PullRequest,
  type SendRequest,
  type Snapshot,
  type TransportName,
  type User,
  type Versions,
} from "../../shared/protocol/index.js";
import type { Api } from "../api/client.js";
import { NetworkError } from "../api/errors.js";
import type { AnyMessage } from "../api/lenient.js";
import { deviceRegistration } from "../api/device-registration.js";
import { signedInAfter } from "../db/device-db.js";
import { hiddenNoticeFor, recallNoticeFor } from "../push/recall-notice.js";
import { tellRecalled } from "../push/sw-bridge.js";
import { buildDiagnostics } from "../commands/diagnostics.js";
import { deleteConversationHere } from "../commands/local.js";
import { recentErrors } from "../commands/recent-errors.js";
import { CommandRunner, type CommandActions } from "../commands/runner.js";
import { registerConsumers } from "../db/consumers.js";
import type { CourierDb } from "../db/database.js";
import type { StoredSummary } from "../db/records.js";
import { landMessages, useLanding } from "../db/landing.js";
import { DexieSyncStore } from "../db/store.js";
import { useConnection } from "../stores/connection.js";
import { useTyping } from "../features/presence/typing-store.js";
import { ClosableStore } from "./closable-store.js";
import { OutboxSender } from "./outbox-sender.js";
import { watchPage } from "./page-signals.js";
import type { Transport, TransportHandlers, TransportStatus } from "./transport.js";
import { transportLog } from "./transport-log.js";
import { postTelemetry, telemetry } from "./telemetry.js";

export interface SyncClientOptions {
  user: User;
  deviceId: string;
  db: CourierDb;
  api: Api;
  transport: Transport;
  /**
   * The server no longer accepts this session, or it belongs to someone else
   * now. The app re-checks who is signed in: another user gets a new client;
   * this one again calls `resume()`. Until then this client syncs nothing.
   */
  onSessionLost(reason: "unauthorized" | "user_changed"): void;
  /** The server says our device id belongs to another account: get a new one. */
  onDeviceConflict(): void;
  /** The `sign_out` command: sign out as the app's sign-out does, keeping unsent messages (session-manager.ts). */
  signOut?(): Promise<void>;
}

/** Without a hello this long after start, catch up over HTTP anyway. */
const HELLO_GRACE_MS = 3_000;
/**
 * While the transport is down and the page visible, pull over HTTP this
 * often, so messages still come in (slowly) where WebSockets never get through.
 */
export const HTTP_CATCH_UP_MS = 15_000;

/**
 * Wires one signed-in session together: transport (server → client), the
 * sync engine (ordering, holes, acks), the Dexie store and consumers, and
 * the outbox. The UI never talks to the transport; it reads IndexedDB and
 * calls `send`/`retry`/`discard` here.
 *
 *   start ─▶ engine.start (local versions) ─▶ register device ─▶ connect
 *   hello ─▶ engine.hello(heads) (pulls if behind, re-acks) + flush outbox
 *   push  ─▶ engine.receive(entries)
 *   reset ─▶ engine.resync() (snapshot); the transport reconnects once it has landed
 *   hidden / visible / online (page-signals.ts) ─▶ transport.setHidden / wake, engine.catchUp
 *   transport down   ─▶ engine.catchUp over HTTP every HTTP_CATCH_UP_MS while visible
 *
 * Another account's session: cookies are shared by every tab, so another tab
 * signing in as someone else changes who the server thinks we are. A hello
 * for another user (or a 409 while /api/me names another user) makes the
 * client "foreign": it closes the transport at once, ignores pushes, makes no
 * sync or send requests and asks the app to re-check (onSessionLost). Only a
 * hello for this user, or `resume()`, lets data in again.
 */
export class SyncClient {
  readonly outbox: OutboxSender;
  /** The server's commands (`cmd` entries): run once on this device, reported (commands/runner.ts). */
  readonly commands: CommandRunner;
  private readonly engine: SyncEngine;
  private readonly store: ClosableStore;
  private readonly registry = new ConsumerRegistry();
  private readonly unregisterConsumers: () => void;
  private readonly handlers: TransportHandlers;
  private readonly cleanups: Array<() => void> = [];
  private helloTimer: ReturnType<typeof setTimeout> | null = null;
  private catchUpTimer: ReturnType<typeof setInterval> | null = null;
  private summaryRefresh: Promise<void> | null = null;
  /** The user the current connection said hello for; null until it has. */
  private greetedAs: string | null = null;
  /** The server's session is another account's: nothing syncs until a re-check says otherwise. */
  private foreign = false;
  /** start() got as far as connecting the transport. */
  private connecting = false;
  /** Closed as the oldest of too many connections (other tabs): off until the person or a visible tab says otherwise. */
  private crowdedOut = false;
  private stopped = false;
  private stopping: Promise<void> | null = null;
  /** Resync commands waiting for the snapshot to land. */
  private snapshotWaiters: Array<{ resolve(): void; reject(error: unknown): void }> = [];

  constructor(private readonly opts: SyncClientOptions) {
    const { db, user } = opts;
    this.commands = new CommandRunner({
      db,
      deviceId: opts.deviceId,
      actions: this.commandActions(),
      report: (id, report) => this.ours(() => opts.api.reportCommand(opts.deviceId, id, report)),
      signedInAfter: (at) => signedInAfter(user.id, at),
      onError: (where, error) => recentErrors.record(where, error),
    });
    this.unregisterConsumers = registerConsumers(this.registry, db, user.id, {
      onMissingSummary: () => this.scheduleSummaryRefresh(),
      // Inside the consuming transaction: recorded there, run after it commits.
      onCommand: (command, at) => this.commands.take(command, at),
      // A live device gets no push for it: tell the service worker (a notification may show it from before).
      onRecalled: (recall, summary) => {
        if (recall.by !== user.id) tellRecalled(recallNoticeFor(recall, summary));
      },
      onHidden: (hide) => tellRecalled(hiddenNoticeFor({ ...hide, at: Date.now() })),
    });
    // New messages show in the open conversation while their transaction writes them (landing.ts).
    this.store = new ClosableStore(new DexieSyncStore(db, this.registry, user.id, (entries) => landMessages(entries)));
    this.engine = new SyncEngine({
      source: this.source(),
      store: this.store,
      onEvent: (event) => this.onEngineEvent(event),
    });
    this.outbox = new OutboxSender({
      db,
      send: (request) => this.sendMessage(request),
      upload: (blob, progress) => this.ours(() => opts.api.uploadMedia(blob, progress)),
      onReauth: () => this.verifySession(),
      onSent: (waitedMs) => telemetry.outboxWait(waitedMs),
    });
    this.handlers = {
      // Consumed, not received: a cursor-resuming transport then re-sends what we lack, and a poll acks only what is applied.
      cursor: () => this.engine.versions,
      onHello: (hello) => this.onHello(hello),
      onPush: (entries) => this.onPush(entries),
      onStatus: (status) => this.onStatus(status),
      onRefused: (code) => {
        // Entries pushed before the close are applied first: a `sign_out` command among them ends the session its own way.
        if (code === "unauthorized") void this.engine.idle().then(() => this.verifySession());
        else if (code === "conflict") void this.onConflict();
        else if (code === "too_many_connections") this.crowdOut();
      },
      onReset: (domains) => this.onReset(domains),
      onTyping: (frame) => {
        if (this.greetedAs === this.opts.user.id && !this.foreign) useTyping.getState().heard(frame, Date.now());
      },
    };
  }

  /** "I am typing here" (Presence): over the live connection only; lossy, so nothing is queued or retried. */
  typing(conversationId: string): void {
    if (!this.live) return;
    void this.opts.transport.typing?.(conversationId).catch(() => {});
  }

  get transportName(): TransportName | null {
    return this.live ? this.opts.transport.name : null;
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
    if (this.stopped) return;
    await this.engine.start();
    if (this.stopped) return;
    this.listen();
    // What only the app sees goes to the server in batches (telemetry.ts), while this session is ours.
    this.cleanups.push(telemetry.start({ send: (report) => this.ours(() => postTelemetry(report, this.opts.deviceId)) }));
    // Registration (capabilities, user agent) runs beside connecting: every
    // transport's handshake names the device too, and time to the first
    // message matters more than which of the two lands first.
    void this.registerDevice();
    this.connecting = true;
    if (!this.foreign) this.opts.transport.connect(this.handlers);
    // Pending messages from an earlier visit go out over HTTP if the socket is slow.
    this.outbox.flush();
    this.helloTimer = setTimeout(() => {
      this.helloTimer = null;
      if (!this.live && !this.foreign) this.engine.catchUp();
    }, HELLO_GRACE_MS);
  }

  /**
   * Stops syncing. Resolves once an apply or snapshot already writing has
   * finished; none starts after this is called. Close the database, or start
   * another client on it, only after that.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  /** The app re-checked the session after onSessionLost and it is still this user's. */
  resume(): void {
    if (this.stopped || !this.foreign) return;
    this.foreign = false;
    // Reconnects after the close in sessionMismatch (a no-op if still connected).
    if (this.connecting) this.opts.transport.connect(this.handlers);
    this.engine.catchUp();
    this.outbox.flush();
  }

  /**
   * Connects again after the server closed this tab's connection as the
   * oldest of too many: the person asked (Reconnect), or the tab became
   * visible. The new connection closes the oldest elsewhere (a hidden tab),
   * which then waits in turn: tabs never fight on their own.
   */
  reconnect(): void {
    if (this.stopped || !this.crowdedOut) return;
    this.crowdedOut = false;
    useConnection.getState().setTooManyTabs(null);
    if (this.connecting && !this.foreign) this.opts.transport.connect(this.handlers);
  }

  /**
   * Makes a conversation just opened over HTTP available locally. Its `conv`
   * entry follows through sync; until then the server's answer stands in
   * (never over a summary we already hold: that one is as new or newer).
   */
  async adopt(opened: { conversation: { id: string }; summary?: StoredSummary }): Promise<void> {
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
        const summaries = await this.ours(() => this.opts.api.listConversations());
        if (this.stopped) return;
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
    if (this.stopped) return;
    this.greetedAs = hello.userId;
    if (hello.userId !== this.opts.user.id) {
      // NOTE: cookies are shared by every tab; another tab signed in as someone else.
      this.sessionMismatch();
      return;
    }
    this.foreign = false;
    telemetry.transportUp(this.opts.transport.name);
    useConnection.getState().setRecallWindowMs(hello.recallWindowMs ?? null);
    this.stopHttpCatchUp();
    this.engine.hello(hello.heads);
    this.outbox.flush();
    void this.commands.retryReports();
  }

  private onPush(entries: Entry[]): void {
    // Only a connection that said hello for this user carries this user's entries.
    if (this.greetedAs !== this.opts.user.id || this.foreign) return;
    // Someone's message arrived: they are no longer typing it.
    for (const e of entries) {
      const message = e.k === "msg" ? (e.data as { message?: { conversationId?: unknown; senderId?: unknown } }).message : undefined;
      if (typeof message?.conversationId === "string" && typeof message.senderId === "string") useTyping.getState().stopped(message.conversationId, message.senderId);
    }
    telemetry.arrived(entries);
    this.engine.receive(entries);
  }

  /** The server no longer has our cursor's position (SSE, long-poll): start over from a snapshot. */
  private async onReset(domains: Domain[]): Promise<void> {
    if (this.stopped || this.foreign) return;
    console.info(`courier: the server reset ${domains.join(", ")}; taking a snapshot`);
    this.engine.resync();
    // Resolves once the snapshot (or its failed attempt) is over; the transport then reconnects with the new cursor.
    await this.engine.idle();
  }

  private onStatus(status: TransportStatus): void {
    if (this.stopped) return;
    // Every connection says hello anew; until it has, it is nobody's.
    if (status !== "online") this.greetedAs = null;
    useConnection.getState().setStatus(status, status === "online" ? this.opts.transport.name : null);
    if (status === "online") this.stopHttpCatchUp();
    else this.startHttpCatchUp();
  }

  /** The transport is up and said hello for this user: requests may go over it. */
  private get live(): boolean {
    return this.opts.transport.online && this.greetedAs === this.opts.user.id && !this.foreign;
  }

  // ── sync source: the transport when it is up, HTTP otherwise ───────────

  private source(): SyncSource {
    const { api, transport } = this.opts;
    return {
      pull: (request: PullRequest) => this.request(() => transport.pull(request), () => api.pull(request)),
      // The engine reads only the heads; messages of unknown kinds are stored as they are (lenient.ts).
      snapshot: () => this.ours(() => api.snapshot()) as Promise<Snapshot>,
      ack: (acks) => this.request(() => transport.ack(acks), () => api.ack(acks)),
    };
  }

  private sendMessage(request: SendRequest): Promise<AnyMessage> {
    const { api, transport } = this.opts;
    // A send that timed out or dropped mid-way is safe to repeat over HTTP: clientMsgId is idempotent.
    return this.request(() => transport.send(request), () => api.send(request));
  }

  /** Over the live transport when there is one, else (or when it fails on the network) over HTTP. */
  private request<T>(overTransport: () => Promise<T>, overHttp: () => Promise<T>): Promise<T> {
    return this.ours(async () => {
      if (this.live) {
        try {
          return await overTransport();
        } catch (error) {
          if (!(error instanceof NetworkError)) throw error;
        }
      }
      this.assertOurs();
      return overHttp();
    });
  }

  /**
   * Runs a request only while the session is this user's, and drops its
   * answer if that changed meanwhile (it may be the other account's data).
   * Fails as a NetworkError, so the engine and the outbox retry later.
   */
  private async ours<T>(request: () => Promise<T>): Promise<T> {
    this.assertOurs();
    const result = await request();
    this.assertOurs();
    return result;
  }

  private assertOurs(): void {
    if (this.foreign) throw new NetworkError("Signed in as someone else in another tab; waiting for the session check");
  }

  // ── session checks ─────────────────────────────────────────────────────

  /** Too many connections of this device or account: stop, say so, and wait (see `reconnect`). */
  private crowdOut(): void {
    if (this.stopped) return;
    this.crowdedOut = true;
    this.opts.transport.close();
    this.onStatus("offline");
    useConnection.getState().setTooManyTabs(() => this.reconnect());
  }

  /** The server's session is someone else's now: shut the door and let the app re-check. */
  private sessionMismatch(): void {
    if (this.stopped) return;
    this.foreign = true;
    // At once: pushes for the other account must not reach the engine, nor requests go over its socket.
    this.opts.transport.close();
    this.onStatus("offline");
    this.opts.onSessionLost("user_changed");
  }

  /**
   * A 409 for our device id. Either the id really belongs to another account
   * (rotate it), or the cookie does: another tab signed in as someone else and
   * the server judged our id against that account. Rotating would then throw
   * away a good id, so ask the server who we are first.
   */
  private async onConflict(): Promise<void> {
    let me: User;
    try {
      me = await this.opts.api.me();
    } catch {
      return; // a 401 is reported by Http.onUnauthorized; offline proves nothing (the next refusal asks again)
    }
    if (this.stopped) return;
    if (me.id !== this.opts.user.id) this.sessionMismatch();
    else this.opts.onDeviceConflict();
  }

  private verifySession(): void {
    this.opts.api.me().then(
      (me) => {
        if (me.id !== this.opts.user.id) this.sessionMismatch();
      },
      () => {
        // Http.onUnauthorized already reported a 401; a network error proves nothing.
      },
    );
  }

  // ── helpers ────────────────────────────────────────────────────────────

  /** Page signals (page-signals.ts) tell the transport (hidden, wake) first, then us. */
  private listen(): void {
    const stop = watchPage(this.opts.transport, {
      onVisible: () => {
        if (this.foreign) return this.opts.onSessionLost("user_changed");
        this.reconnect();
        this.engine.catchUp();
        this.outbox.flush();
      },
      onOnline: () => {
        useConnection.getState().setBrowserOffline(false);
        if (this.foreign) return this.opts.onSessionLost("user_changed");
        this.outbox.flush();
      },
      onOffline: () => useConnection.getState().setBrowserOffline(true),
    });
    this.cleanups.push(stop);
    // What the browser says now (it may have changed before we listened).
    if (typeof navigator !== "undefined") useConnection.getState().setBrowserOffline(navigator.onLine === false);
    // "Try now" while the server is unreachable: reconnect at once, as a wake does (never before a server's Retry-After).
    const tryNow = () => this.opts.transport.wake();
    useConnection.getState().setTryNow(tryNow);
    this.cleanups.push(() => {
      if (useConnection.getState().tryNow === tryNow) useConnection.getState().setTryNow(null);
    });
  }

  // While no transport gets through at all (or before the connection
  // manager has fallen back), messages still come in, slowly.
  private startHttpCatchUp(): void {
    if (this.stopped || this.catchUpTimer !== null) return;
    this.catchUpTimer = setInterval(() => this.httpCatchUp(), HTTP_CATCH_UP_MS);
  }

  private stopHttpCatchUp(): void {
    if (this.catchUpTimer !== null) clearInterval(this.catchUpTimer);
    this.catchUpTimer = null;
  }

  private httpCatchUp(): void {
    if (this.live) return this.stopHttpCatchUp();
    if (document.visibilityState !== "visible") return;
    // Another account's session: keep asking the app to re-check (it may have been offline) instead.
    if (this.foreign) this.opts.onSessionLost("user_changed");
    else this.engine.catchUp();
  }

  private async registerDevice(): Promise<void> {
    try {
      await this.opts.api.registerDevice(this.opts.deviceId, deviceRegistration());
    } catch (error) {
      if (error instanceof CourierError && error.code === "conflict") void this.onConflict();
      // Offline start: the transport handshake still carries the device id.
      else console.warn("courier: device registration failed", error);
    }
  }

  private scheduleSummaryRefresh(): void {
    // After the current transaction: consumers must not do network I/O inside it.
    setTimeout(() => void this.ensureSummaries().catch(() => {}), 0);
  }

  private async shutDown(): Promise<void> {
    this.stopped = true;
    if (this.crowdedOut) useConnection.getState().setTooManyTabs(null);
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.stopHttpCatchUp();
    this.outbox.stop();
    this.commands.stop();
    for (const waiter of this.snapshotWaiters.splice(0)) waiter.reject(new Error("Signed out before the snapshot landed"));
    this.engine.stop();
    this.opts.transport.close();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    // An apply or snapshot already writing finishes (one transaction); the
    // store refuses any later one, e.g. a snapshot whose download was in flight.
    await this.store.close();
    this.unregisterConsumers();
    useLanding.getState().clear();
  }

  private onEngineEvent(event: SyncEvent): void {
    if (this.stopped) return; // after stop the store refuses writes on purpose
    switch (event.type) {
      case "apply_failed":
        console.error("courier: applying entries failed", event.error);
        recentErrors.record(`sync apply ${event.d}`, event.error);
        break;
      case "pull":
        if (event.cause === "hole") telemetry.holePull();
        break;
      case "pull_failed":
        recentErrors.record(`sync pull ${event.d}`, event.error);
        break;
      case "snapshot":
        for (const waiter of this.snapshotWaiters.splice(0)) waiter.resolve();
        break;
      case "snapshot_failed":
        recentErrors.record("sync snapshot", event.error);
        // Offline: the engine tries again until it lands. Refused: the resync failed.
        if (!(event.error instanceof NetworkError)) for (const waiter of this.snapshotWaiters.splice(0)) waiter.reject(event.error);
        break;
    }
  }

  // ── commands ───────────────────────────────────────────────────────────

  private commandActions(): CommandActions {
    const { db, api } = this.opts;
    return {
      resync: () => this.resync(),
      diagnostics: () =>
        buildDiagnostics({
          db,
          versions: this.engine.versions,
          transportLog: transportLog.list(),
          recentErrors: recentErrors.list(),
          now: Date.now(),
          userAgent: typeof navigator === "undefined" ? undefined : navigator.userAgent,
        }),
      mute: async (conversationId) => {
        // Here at once (no notification, no badge), and on the server for every device; its `conv` entry follows.
        await db.conversations.update(conversationId, { muted: true });
        await this.ours(() => api.updateSettings(conversationId, { muted: true }));
      },
      deleteConversation: (conversationId) => deleteConversationHere(db, conversationId),
      signOut: async () => {
        if (!this.opts.signOut) throw new Error("This page cannot sign out by itself.");
        await this.opts.signOut();
      },
    };
  }

  /**
   * Drops local data and takes a snapshot (DexieSyncStore.applySnapshot):
   * the outbox stays, less what the snapshot shows the server has, and is
   * sent once it has landed. Resolves then; fails if the server refused it.
   */
  private resync(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error("Signed out"));
    const landed = new Promise<void>((resolve, reject) => this.snapshotWaiters.push({ resolve, reject }));
    this.engine.resync();
    return landed.then(() => this.outbox.flush());
  }
}
