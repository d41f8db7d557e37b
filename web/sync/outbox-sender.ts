import type { SendRequest } from "../../shared/protocol/index.js";
import { CourierError } from "../../shared/protocol/index.js";
import { decide, describeError } from "../api/errors.js";
import type { AnyMessage } from "../api/lenient.js";
import type { CourierDb } from "../db/database.js";
import { profileUser } from "../db/device-db.js";
import { discard, enqueue, markFailed, markSending, queued, queuedFor, settle } from "../db/outbox.js";
import { sweepPhotos, type PhotoInput } from "../db/outbox-photos.js";
import type { OutboxRow, ReplyRef } from "../db/records.js";
import { fullJitter } from "./backoff.js";
import { uploadPhotos, type Uploader } from "./photo-upload.js";
import { useUploadProgress } from "./upload-progress.js";
import { t } from "../i18n/index.js";

/**
 * A message still unsent after this long is not sent silently later: the
 * conversation may have moved on, so the person decides (Retry or Delete).
 */
export const OUTBOX_MAX_AGE_MS = 24 * 60 * 60 * 1000;
export function expiredMessage(): string {
  return t("connection.outbox.expired");
}

export interface OutboxSenderOptions {
  db: CourierDb;
  /** See OUTBOX_MAX_AGE_MS (the default). */
  maxAgeMs?: number;
  /** Epoch ms; injected by tests. */
  now?: () => number;
  /** Sends over the live transport, or HTTP when there is none. */
  send(request: SendRequest): Promise<AnyMessage>;
  /** Uploads a photo of a photo message (`POST /api/media`); without it, photo messages fail. */
  upload?: Uploader;
  /** The session is gone: stop and ask the person to sign in again. */
  onReauth(): void;
  /** The server accepted a row `waitedMs` after it was queued (telemetry's outbox wait). */
  onSent?(waitedMs: number): void;
}

/** How one attempt ended: go on with the next row ("sent": the server confirmed this one), or stop the queue (retry later / re-authenticate). */
type Outcome = "next" | "sent" | "retry" | "reauth";

const goesOn = (outcome: Outcome): boolean => outcome === "next" || outcome === "sent";

/** A text message sent while its outbox row is still being written (see OutboxSender.send). */
interface FastSend {
  row: OutboxRow;
  /** The row's write; awaited before anything else touches the row. */
  written: Promise<unknown>;
  /** Told whether the server confirmed it. */
  delivered(sent: boolean): void;
}

/**
 * Sends outbox rows one at a time, oldest first, so messages arrive in the
 * order they were typed. A row that cannot go out yet (offline, rate limited)
 * stops the queue behind it and is retried later or when the link returns; a
 * row the server refuses for good is marked failed and the queue moves on.
 * A flush asked for while a failing attempt was in flight (the link came
 * back meanwhile) tries again at once, except when the server asked us to
 * wait (rate limited, Retry-After): then nothing goes out before that.
 *
 * A text message typed while nothing else waits (the last run emptied the
 * queue, no write or retry is under way) goes out at once, while its row is
 * written beside it: the row is durable whatever happens to the request (a
 * reload sends it again, with the same clientMsgId, which the server takes
 * once), and nothing touches the row before its write has finished.
 *
 * Nothing goes out while this profile is signed in as another account, or
 * signed out (device-db.ts, profileUser): the cookie is shared by every tab,
 * and a tab that wakes from being frozen may not have heard yet that its
 * account signed out here. The queue stops and the session is re-checked
 * (onReauth), as for a 401.
 *
 *   flush() ──▶ running ──queue empty──▶ idle
 *                 │  ▲
 *     retry-able  │  │ timer / flush()
 *                 ▼  │
 *               waiting
 */
export class OutboxSender {
  private running = false;
  private again = false;
  private stopped = false;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** The server asked us to wait: no attempt before this time (epoch ms), whoever asks. */
  private notBefore = 0;
  /** The last run found nothing more to send, and no row was added or re-queued since: a new text message may skip the queue. */
  private clear = false;
  /** Rows being written or re-queued outside a run (they go out through the queue). */
  private pendingWrites = 0;
  /** Rows recalled before they were confirmed (cancel()): never sent from now on. */
  private readonly cancelled = new Set<string>();
  /** The row whose request (or photo upload) is out, its answer (null if it did not go through), and how to stop its upload. */
  private inFlight: { clientMsgId: string; sent: Promise<AnyMessage | null>; abort: AbortController } | null = null;
  private readonly now: () => number;
  private readonly maxAgeMs: number;

  constructor(private readonly opts: OutboxSenderOptions) {
    this.now = opts.now ?? Date.now;
    this.maxAgeMs = opts.maxAgeMs ?? OUTBOX_MAX_AGE_MS;
  }

  /** With `photos`, a photo message (`body` its caption, may be ""): the photos wait in IndexedDB with it and are uploaded when it goes. */
  async send(conversationId: string, body: string, replyTo?: ReplyRef, photos?: readonly PhotoInput[]): Promise<OutboxRow> {
    const now = this.now();
    if (photos?.length || !this.mayGoAtOnce()) {
      this.clear = false;
      this.pendingWrites++;
      try {
        return await enqueue(this.opts.db, conversationId, body, now, replyTo, photos);
      } finally {
        this.pendingWrites--;
        this.flush();
      }
    }
    // Nothing waits: send now, and write the row in the same moment (not after: its write would delay every message).
    const clientMsgId = crypto.randomUUID();
    const row: OutboxRow = { clientMsgId, conversationId, body, createdAt: now, queuedAt: now, status: "sending", ...(replyTo ? { replyTo } : {}) };
    const written = enqueue(this.opts.db, conversationId, body, now, replyTo, undefined, clientMsgId);
    let delivered!: (sent: boolean) => void;
    const sent = new Promise<boolean>((resolve) => (delivered = resolve));
    void this.run({ row, written, delivered });
    try {
      return await written;
    } catch (error) {
      // The outbox could not keep it (storage full): fine if the server has it, else the caller gets the text back.
      if (await sent) return row;
      throw error;
    }
  }

  /** A new text message may go out before its row is written: nothing is queued, running, or waiting for a retry. */
  private mayGoAtOnce(): boolean {
    return this.clear && !this.running && !this.stopped && this.pendingWrites === 0 && this.timer === null && this.now() >= this.notBefore;
  }

  /**
   * Recall of a message not confirmed yet: it leaves the outbox and is never
   * sent. One already on its way (the request is out) cannot be stopped:
   * this answers the server's copy once it is confirmed, for the caller to
   * recall, or null when nothing went out (it failed, or was not in flight).
   */
  async cancel(clientMsgId: string): Promise<AnyMessage | null> {
    // Seen by attempt() before it sends: a row read just before this call is not sent either.
    this.cancelled.add(clientMsgId);
    const inFlight = this.inFlight?.clientMsgId === clientMsgId ? this.inFlight.sent : null;
    // Its photos still uploading: stopped (once the message itself is out, the abort changes nothing).
    if (inFlight) this.inFlight?.abort.abort();
    await discard(this.opts.db, clientMsgId);
    return inFlight ? inFlight : null;
  }

  async retry(clientMsgId: string): Promise<void> {
    // Back in the queue at its place: a message typed meanwhile goes after it.
    this.clear = false;
    this.pendingWrites++;
    try {
      await markSending(this.opts.db, clientMsgId, this.now());
    } finally {
      this.pendingWrites--;
    }
    this.flush();
  }

  async discard(clientMsgId: string): Promise<void> {
    await discard(this.opts.db, clientMsgId);
  }

  /** Sends everything queued; safe to call any time (the link came back, a new row). */
  flush(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // The timer armed with the server's delay runs the queue then.
    if (this.now() < this.notBefore) return;
    this.clearTimer();
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private async run(fast?: FastSend): Promise<void> {
    this.running = true;
    this.clear = false;
    let halted: Outcome = "next";
    try {
      if (fast) {
        try {
          halted = await this.attempt(fast.row, fast.written);
        } finally {
          fast.delivered(halted === "sent");
          // Written (or failed) before the queue is read again: it must not be sent twice, nor skipped.
          await fast.written.catch(() => {});
        }
        if (!goesOn(halted)) return;
        if (!this.again) {
          this.clear = !this.stopped;
          return;
        }
      }
      // Photos whose message left the outbox through sync (its copy came first) go with it.
      await sweepPhotos(this.opts.db);
      do {
        this.again = false;
        for (const row of await queued(this.opts.db)) {
          if (this.stopped) return;
          halted = await this.attempt(row);
          if (!goesOn(halted)) return;
        }
      } while (this.again && !this.stopped);
      this.clear = !this.stopped;
    } catch (error) {
      // Stopped (signed out, the client closing its database): what was not sent stays queued, and this is no failure.
      if (!this.stopped) console.error("courier: outbox flush failed", error);
    } finally {
      this.running = false;
      // A flush came in while the failing attempt was in flight: the link may
      // be back, so try now rather than after the backoff. flush() still
      // waits out a delay the server asked for.
      if (this.again && halted === "retry" && !this.stopped) {
        this.again = false;
        this.flush();
      }
    }
  }

  /**
   * "next" or "sent" to go on with the next row; otherwise the queue stops here.
   * `written`: the row is still being written (a fast send); awaited before the row is touched.
   */
  private async attempt(row: OutboxRow, written?: Promise<unknown>): Promise<Outcome> {
    if (queuedFor(row, this.now()) > this.maxAgeMs) {
      await markFailed(this.opts.db, row.clientMsgId, expiredMessage());
      return "next";
    }
    if (!this.signedInHere()) {
      this.opts.onReauth();
      return "reauth";
    }
    // Cancelled (recalled) while queued: it may have been read just before it left the outbox.
    // Read again anyway: a photo message's row holds the ids of photos an earlier attempt uploaded.
    const current = written ? row : await this.opts.db.outbox.get(row.clientMsgId);
    if (!current || this.cancelled.has(row.clientMsgId)) return "next";
    const abort = new AbortController();
    const sending = this.deliver(current, abort.signal);
    this.inFlight = { clientMsgId: row.clientMsgId, sent: sending.catch(() => null), abort };
    try {
      const message = await sending;
      await written?.catch(() => {});
      // Stopped meanwhile: write nothing more; the message arrives through sync.
      // Null: it left the outbox while its photos were uploading, and was never sent.
      if (this.stopped || message === null) return "next";
      this.opts.onSent?.(queuedFor(current, this.now()));
      await settle(this.opts.db, message);
      this.failures = 0;
      return "sent";
    } catch (error) {
      await written?.catch(() => {});
      if (this.stopped || this.cancelled.has(row.clientMsgId)) return this.stopped ? "retry" : "next";
      switch (decide(error)) {
        case "give_up":
          await markFailed(this.opts.db, row.clientMsgId, describeError(error));
          return "next";
        case "reauth":
          this.opts.onReauth();
          return "reauth";
        case "retry": {
          const hint = error instanceof CourierError ? error.retryAfterMs : undefined;
          const delay = hint ?? fullJitter(this.failures++, 1_000, 30_000) + 500;
          // Rate limited (429, or a socket ack without Retry-After) or told when to come back: honour it.
          const told = hint !== undefined || (error instanceof CourierError && error.code === "rate_limited");
          this.notBefore = told ? this.now() + delay : 0;
          this.schedule(delay);
          return "retry";
        }
      }
    } finally {
      this.inFlight = null;
    }
  }

  /** Uploads a photo message's photos first (those not uploaded yet), then sends; null when it was recalled meanwhile. */
  private async deliver(row: OutboxRow, signal: AbortSignal): Promise<AnyMessage | null> {
    const request: SendRequest = { clientMsgId: row.clientMsgId, conversationId: row.conversationId, kind: "text", body: row.body };
    if (row.replyTo) request.replyTo = row.replyTo.id;
    if (row.kind === "image") {
      if (!this.opts.upload) throw new Error(t("connection.outbox.noPhotosHere"));
      const progress = useUploadProgress.getState();
      let mediaIds: string[] | null;
      try {
        mediaIds = await uploadPhotos(this.opts.db, row, this.opts.upload, signal, (fraction) => progress.set(row.clientMsgId, fraction));
      } finally {
        progress.clear(row.clientMsgId);
      }
      if (mediaIds === null || this.cancelled.has(row.clientMsgId)) return null;
      request.kind = "image";
      request.mediaIds = mediaIds;
    }
    return this.opts.send(request);
  }

  /** The profile's session is the account this outbox belongs to (or this page cannot tell: no storage). */
  private signedInHere(): boolean {
    const user = profileUser();
    return user === undefined || user === this.opts.db.userId;
  }

  private schedule(ms: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.notBefore = 0;
      this.flush();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
