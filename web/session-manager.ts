import { CourierError, type User } from "../shared/protocol/index.js";
import { Api } from "./api/client.js";
import { NetworkError } from "./api/errors.js";
import { CourierDb } from "./db/database.js";
import { accountBack, putAway, restoreDrafts, sessionEnding, type LocalData } from "./db/unsent.js";
import type { DraftRow } from "./db/records.js";
import { cachedSession, deviceIdFor, profileUser, rememberSession, rotateDeviceId, signedInAfter } from "./db/device-db.js";
import { setProbeClient } from "./debug.js";
import { backfillSearchIndex } from "./search/backfill.js";
import type { Session, UnsentChoice } from "./session.js";
import { useConnection } from "./stores/connection.js";
import { createConnection } from "./sync/connection.js";
import type { ConnectionManager } from "./sync/connection-manager.js";
import { SyncClient } from "./sync/sync-client.js";
import { browserStorage, choiceFromUrl, saveChoice, savedChoice, type TransportChoice } from "./sync/transport-choice.js";
import { t } from "./i18n/index.js";
import { spendFirstScreen } from "./boot/snapshot.js";

export type Phase =
  | { name: "booting" }
  | { name: "signed-out"; notice: string | null }
  | { name: "signed-in"; session: Session };

/** Tells the other tabs of this profile; they share the cookie. `at`: when (epoch ms). */
type TabNews = { type: "signed-in" } | { type: "signed-out"; userId: string; at: number };

/**
 * Owns the signed-in session's lifetime: opens the user's database and sync
 * client, and tears them down on sign-out or when the server drops the
 * session. Outside React so StrictMode's double effects cannot open two.
 *
 *   booting ──last user known──▶ signed-in (render local data, verify in background)
 *      │                            │  ▲
 *      └──/api/me 401──▶ signed-out ◀┘  └── sign in / sign up
 */
export class SessionManager {
  readonly api = new Api();
  private phase: Phase = { name: "booting" };
  private listeners = new Set<() => void>();
  private booted = false;
  private rotated = false;
  /** The last ended session's data being put away; the next one opens after it. */
  private puttingAway: Promise<void> = Promise.resolve();
  // NOTE: tabs share the cookie; tell the others when we sign in or out.
  private readonly channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("courier-session");
  /** `?transport=` in the address this page was loaded with: it wins over the setting for the page's life. */
  private readonly urlChoice = typeof location === "undefined" ? null : choiceFromUrl(location.search);

  constructor() {
    this.api.http.onUnauthorized = (error, sentAt) => {
      if (this.phase.name !== "signed-in") return;
      const session = this.phase.session;
      // Entries already received are applied first: an administrator's `sign_out` among them (it revokes
      // the session in the same write) ends the session its own way, saying so, whichever request met the 401 first.
      // A device that never heard that command (offline then, or between two long-polls) is told by the 401 itself,
      // if the 401 is about this session: the profile still signed in as this account, not again since the request left
      // (a tab that was frozen must not drop the history of the session another tab has opened since).
      const byAdmin =
        error.reason === "signed_out_by_admin" && profileUser() === session.user.id && !signedInAfter(session.user.id, sentAt);
      void session.client.idle().then(() => {
        if (byAdmin) void this.signedOutByServer(session, sentAt);
        else if (this.phase.name === "signed-in" && this.phase.session === session) void this.end(t("connection.session.ended"), session, "keep-all");
      });
    };
    if (this.channel) this.channel.onmessage = (event: MessageEvent<unknown>) => this.onTabNews(event.data);
  }

  get current(): Phase {
    return this.phase;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /**
   * Called once, before the first render. When this profile was signed in
   * last time it opens that user's local data synchronously, so the first
   * frame already shows their conversations; the server confirms the session
   * in the background.
   */
  boot(): void {
    if (this.booted) return;
    this.booted = true;
    if (pendingSignOut.get()) {
      // Signed out while offline: the cookie may still be valid on the server,
      // so finish that first and never reopen the old session by itself.
      this.set({ name: "signed-out", notice: null });
      void this.finishPendingSignOut();
      return;
    }
    const cached = cachedSession();
    if (cached) {
      this.open(cached.user, cached.deviceId);
      void this.recheck();
      return;
    }
    void (async () => {
      try {
        await this.signedIn(await this.api.me(), false);
      } catch (error) {
        this.set({ name: "signed-out", notice: error instanceof NetworkError ? t("connection.session.offline") : null });
      }
    })();
  }

  async signIn(username: string, password: string): Promise<void> {
    const { user } = await this.api.login({ username, password });
    pendingSignOut.set(false); // the new session's cookie replaced the old one
    await this.signedIn(user, true);
  }

  async signUp(username: string, password: string, displayName: string | undefined): Promise<void> {
    const { user } = await this.api.register({ username, password, displayName });
    pendingSignOut.set(false);
    await this.signedIn(user, true);
  }

  /**
   * Explicit sign-out: the server forgets the session and this browser the
   * account's history. Unsent messages and drafts are kept for the account's
   * next sign-in here unless `unsent` is "discard" (the person said so).
   */
  async signOut(unsent: UnsentChoice = "keep"): Promise<void> {
    if (this.phase.name !== "signed-in") return;
    const { session } = this.phase;
    let notice: string | null = null;
    try {
      await this.api.logout();
    } catch (error) {
      if (error instanceof NetworkError) {
        // Offline (a shared computer, a dead network): sign out here now and
        // end the server session as soon as the server can be reached.
        pendingSignOut.set(true);
        notice = t("connection.session.signedOutLocally");
      } else if (!(error instanceof CourierError && error.code === "unauthorized")) {
        throw error; // already signed out on the server is fine; anything else is shown
      }
    }
    // The other tabs of this account stop now, not after our data is put away
    // (but after end() has recorded the choice and forgotten the session here).
    const ended = this.end(notice, session, unsent === "discard" ? "discard" : "keep-unsent");
    this.post({ type: "signed-out", userId: session.user.id, at: Date.now() });
    await ended;
    if (pendingSignOut.get()) void this.finishPendingSignOut();
  }

  /**
   * The server's `sign_out` command, or a `401` saying it ran while this
   * device was away: the session is revoked already, so no logout request
   * (its 401 would read as an expired session, which keeps the history). Otherwise as the app's sign-out: history goes,
   * unsent messages and drafts stay for the next sign-in, other tabs follow.
   */
  private async signedOutByServer(session: Session, at = Date.now()): Promise<void> {
    if (this.phase.name !== "signed-in" || this.phase.session !== session) return;
    const ended = this.end(t("connection.session.signedOutByAdmin"), session, "keep-unsent");
    this.post({ type: "signed-out", userId: session.user.id, at });
    await ended;
  }

  /** Retries the server half of an offline sign-out until it lands (or a new sign-in replaces it). */
  private async finishPendingSignOut(attempt = 0): Promise<void> {
    if (!pendingSignOut.get()) return;
    try {
      await this.api.logout();
    } catch (error) {
      if (error instanceof NetworkError) {
        setTimeout(() => void this.finishPendingSignOut(attempt + 1), Math.min(30_000, 2_000 * 2 ** attempt));
        return;
      }
    }
    pendingSignOut.set(false);
  }

  private async signedIn(user: User, announce: boolean): Promise<void> {
    const deviceId = await deviceIdFor(user.id);
    // Signing straight back in: the database must not be cleared (or deleted) under the new session.
    await this.puttingAway;
    rememberSession({ user, deviceId });
    this.open(user, deviceId);
    if (announce) this.post({ type: "signed-in" });
  }

  private open(user: User, deviceId: string): void {
    const previous = this.phase.name === "signed-in" ? this.phase.session : null;
    this.api.http.setDeviceId(deviceId);
    accountBack(user.id);
    const db = new CourierDb(user.id);
    const choice = this.urlChoice ?? savedChoice(browserStorage());
    useConnection.getState().setChoice(choice, this.urlChoice !== null);
    const connection = createConnection({ deviceId, api: this.api, choice });
    // Start opening now rather than on the first query after React's first render.
    db.open()
      .then(() => {
        // Rows stored before the search index existed are indexed in the background, after the first paint.
        backfillSearchIndex(db).catch((error) => console.warn("courier: could not index older messages for search", error));
        return restoreDrafts(db);
      })
      .catch((error) => console.error("courier: could not open local data", error));
    const client = new SyncClient({
      user,
      deviceId,
      db,
      api: this.api,
      transport: connection,
      onSessionLost: (reason) => {
        if (reason === "user_changed") void this.recheck();
      },
      onDeviceConflict: () => void this.replaceDevice(session),
      signOut: () => this.signedOutByServer(session),
    });
    const session: Session = {
      user,
      deviceId,
      db,
      api: this.api,
      client,
      signOut: (unsent) => this.signOut(unsent),
      setTransportChoice: (next) => this.setTransportChoice(next, connection),
      renamed: (next) => this.renamed(session, next),
    };
    setProbeClient(client);
    this.set({ name: "signed-in", session });
    // The new client starts once the old one has finished writing: for the same
    // user (a new device id, a re-check) both write to the same database.
    const previousStopped = previous ? previous.client.stop() : Promise.resolve();
    if (previous) void this.retire(previous);
    previousStopped
      // The first screen paints before the client's start takes the page and IndexedDB (cold start, issue 16).
      .then(() => (previous ? undefined : afterNextPaint()))
      .then(() => client.start())
      .catch((error) => console.error("courier: sync client failed to start", error));
  }

  /** The "Connection" setting changed: remember it and reconnect with it (unless the address forces one). */
  private setTransportChoice(choice: TransportChoice, connection: ConnectionManager): void {
    if (this.urlChoice !== null) return;
    saveChoice(browserStorage(), choice);
    useConnection.getState().setChoice(choice, false);
    connection.setChoice(choice);
  }

  /** The server gave our device id to another account: continue under a fresh one. */
  private async replaceDevice(session: Session): Promise<void> {
    if (this.phase.name !== "signed-in" || this.phase.session !== session || this.rotated) return;
    this.rotated = true; // once per page: a second conflict means something else is wrong
    const deviceId = await rotateDeviceId(session.user.id);
    rememberSession({ user: session.user, deviceId });
    this.open(session.user, deviceId);
  }

  /**
   * Stops a session that is no longer shown. Sync stops at once; the database
   * closes only after a write in progress has finished and React has
   * unmounted the screens still querying it.
   */
  private async retire(session: Session): Promise<void> {
    await session.client.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    session.db.close();
  }

  /** Back to the sign-in screen; `local` says what this browser keeps of the account. */
  private async end(notice: string | null, session: Session, local: LocalData): Promise<void> {
    const drafts = sessionEnding(session.user.id, local);
    if (this.phase.name === "signed-in" && this.phase.session === session) {
      setProbeClient(null);
      this.api.http.setDeviceId(null);
      this.set({ name: "signed-out", notice });
      useConnection.getState().reset();
    }
    this.puttingAway = this.puttingAway.then(() => this.retireAndPutAway(session, local, drafts));
    await this.puttingAway;
  }

  private async retireAndPutAway(session: Session, local: LocalData, drafts: DraftRow[]): Promise<void> {
    await this.retire(session);
    try {
      await putAway(session.user.id, local, drafts);
    } catch (error) {
      console.warn("courier: could not put local data away", error);
    }
  }

  /**
   * Another tab signed in, or signed out an account. Signing out is for the
   * whole profile (the cookie is shared): a tab of that account ends at once,
   * keeping what it has not sent, before any later sign-in can give its
   * outbox someone else's cookie. News that the account is signed in here
   * again has overtaken (a tab that was frozen) is only a reason to re-check.
   */
  private onTabNews(news: unknown): void {
    const signedOut = isTabNews(news) && news.type === "signed-out" ? news : null;
    const current = this.phase.name === "signed-in" ? this.phase.session : null;
    if (signedOut && current?.user.id === signedOut.userId && !signedInAfter(signedOut.userId, signedOut.at)) {
      void this.end(t("connection.session.signedOutInOtherTab"), current, "keep-unsent");
      return;
    }
    void this.recheck();
  }

  private post(news: TabNews): void {
    this.channel?.postMessage(news);
  }

  /** Ask the server who we are; follow it if another tab changed the session. */
  private async recheck(): Promise<void> {
    let user: User;
    try {
      user = await this.api.me();
    } catch {
      return; // 401 is handled by onUnauthorized; offline proves nothing.
    }
    const current = this.phase.name === "signed-in" ? this.phase.session : null;
    if (current?.user.id === user.id) {
      if (current.user.displayName !== user.displayName) this.renamed(current, user);
      // Still ours: a client that saw another account's hello may sync again.
      current.client.resume();
      return;
    }
    await this.signedIn(user, false);
  }

  /** Same session (its identity matters to sign-out), new name: a new phase re-renders the app. */
  private renamed(session: Session, user: User): void {
    if (this.phase.name !== "signed-in" || this.phase.session !== session || session.user.id !== user.id) return;
    session.user = user;
    rememberSession({ user, deviceId: session.deviceId });
    this.set({ name: "signed-in", session });
  }

  private set(phase: Phase): void {
    // Signed out (or another user): what the boot script read at the page's start is never shown again (web/boot).
    if (phase.name !== "signed-in") spendFirstScreen();
    this.phase = phase;
    for (const listener of this.listeners) listener();
  }
}

/** A sign-out whose server half is still owed, kept across reloads. */
const pendingSignOut = {
  key: "courier.pendingSignOut",
  get(): boolean {
    try {
      return localStorage.getItem(this.key) === "1";
    } catch {
      return false; // storage blocked: nothing was recorded either
    }
  },
  set(on: boolean): void {
    try {
      if (on) localStorage.setItem(this.key, "1");
      else localStorage.removeItem(this.key);
    } catch {
      // NOTE: storage can be blocked (privacy settings); the sign-out still happened locally.
    }
  },
};

function isTabNews(value: unknown): value is TabNews {
  if (typeof value !== "object" || value === null || !("type" in value)) return false;
  if (value.type === "signed-in") return true;
  return value.type === "signed-out" && "userId" in value && typeof value.userId === "string" && "at" in value && typeof value.at === "number";
}

/** Once the next frame has painted; at most `bound` ms (a hidden page paints no frames; no frames at all outside a browser). */
function afterNextPaint(bound = 50): Promise<void> {
  if (typeof requestAnimationFrame !== "function") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, bound);
    requestAnimationFrame(() =>
      setTimeout(() => {
        clearTimeout(timer);
        resolve();
      }, 0),
    );
  });
}
