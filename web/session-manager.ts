import type { User } from "../shared/protocol/index.js";
import { Api } from "./api/client.js";
import { NetworkError } from "./api/errors.js";
import { CourierDb, deleteUserDb } from "./db/database.js";
import { cachedDeviceId, cachedLastUser, getDeviceId, setLastUser } from "./db/device-db.js";
import { setProbeClient } from "./debug.js";
import type { Session } from "./session.js";
import { useConnection } from "./stores/connection.js";
import { SyncClient } from "./sync/sync-client.js";
import { WsTransport } from "./sync/ws-transport.js";

export type Phase =
  | { name: "booting" }
  | { name: "signed-out"; notice: string | null }
  | { name: "signed-in"; session: Session };

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
  private deviceId: string | null = null;
  private booted = false;
  // NOTE: tabs share the cookie; tell the others when we sign in or out.
  private readonly channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("courier-session");

  constructor() {
    this.api.http.onUnauthorized = () => {
      if (this.phase.name === "signed-in") void this.end("Your session ended. Please sign in again.", false);
    };
    if (this.channel) this.channel.onmessage = () => void this.recheck();
  }

  get current(): Phase {
    return this.phase;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /**
   * Called once, before the first render. With a known device and user it
   * opens their local data synchronously, so the first frame already shows
   * conversations; the server confirms the session in the background.
   */
  boot(): void {
    if (this.booted) return;
    this.booted = true;
    const cachedId = cachedDeviceId();
    const last = cachedLastUser();
    if (cachedId && last) {
      this.useDevice(cachedId);
      this.open(last);
    }
    void this.finishBoot(cachedId, last !== null && cachedId !== null);
  }

  private async finishBoot(cachedId: string | null, opened: boolean): Promise<void> {
    // Let the user's own database open first: it holds what the first frame shows.
    if (opened && this.phase.name === "signed-in") await this.phase.session.db.open().catch(() => {});
    const deviceId = await getDeviceId(cachedId ?? undefined);
    if (opened && deviceId === cachedId) {
      void this.recheck();
      return;
    }
    this.useDevice(deviceId);
    const last = cachedLastUser();
    if (last) {
      this.open(last);
      void this.recheck();
      return;
    }
    try {
      const user = await this.api.me();
      setLastUser(user);
      this.open(user);
    } catch (error) {
      this.set({ name: "signed-out", notice: error instanceof NetworkError ? "You appear to be offline." : null });
    }
  }

  private useDevice(id: string): void {
    this.deviceId = id;
    this.api.http.setDeviceId(id);
  }

  async signIn(username: string, password: string): Promise<void> {
    const { user } = await this.api.login({ username, password });
    await this.signedIn(user);
  }

  async signUp(username: string, password: string, displayName: string | undefined): Promise<void> {
    const { user } = await this.api.register({ username, password, displayName });
    await this.signedIn(user);
  }

  /** Explicit sign-out: the server forgets the session and this browser forgets the data. */
  async signOut(): Promise<void> {
    await this.api.logout();
    await this.end(null, true);
    this.channel?.postMessage("signed-out");
  }

  private async signedIn(user: User): Promise<void> {
    setLastUser(user);
    this.open(user);
    this.channel?.postMessage("signed-in");
  }

  private open(user: User): void {
    if (this.phase.name === "signed-in") this.close(this.phase.session);
    const deviceId = this.deviceId;
    if (!deviceId) throw new Error("boot() first");
    const db = new CourierDb(user.id);
    // Start opening now rather than on the first query after React's first render.
    db.open().catch((error) => console.error("courier: could not open local data", error));
    const client = new SyncClient({
      user,
      deviceId,
      db,
      api: this.api,
      transport: new WsTransport({ deviceId }),
      onSessionLost: (reason) => {
        if (reason === "user_changed") void this.recheck();
      },
    });
    const session: Session = { user, db, api: this.api, client, signOut: () => this.signOut() };
    setProbeClient(client);
    this.set({ name: "signed-in", session });
    client.start().catch((error) => console.error("courier: sync client failed to start", error));
  }

  private close(session: Session): void {
    session.client.stop();
    session.db.close();
    setProbeClient(null);
    useConnection.getState().setStatus("connecting", null);
  }

  private async end(notice: string | null, forget: boolean): Promise<void> {
    if (this.phase.name !== "signed-in") return;
    const { session } = this.phase;
    this.close(session);
    if (forget) {
      setLastUser(null);
      await deleteUserDb(session.user.id).catch((error) => console.warn("courier: could not delete local data", error));
    }
    this.set({ name: "signed-out", notice });
  }

  /** Ask the server who we are; follow it if another tab changed the session. */
  private async recheck(): Promise<void> {
    let user: User;
    try {
      user = await this.api.me();
    } catch {
      return; // 401 is handled by onUnauthorized; offline proves nothing.
    }
    const current = this.phase.name === "signed-in" ? this.phase.session.user : null;
    if (current?.id === user.id) {
      if (current.displayName !== user.displayName) setLastUser(user);
      return;
    }
    setLastUser(user);
    this.open(user);
  }

  private set(phase: Phase): void {
    this.phase = phase;
    for (const listener of this.listeners) listener();
  }
}
