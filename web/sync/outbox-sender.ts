import type { Message, SendRequest } from "../../shared/protocol/index.js";
import { CourierError } from "../../shared/protocol/index.js";
import { decide, describeError } from "../api/errors.js";
import type { CourierDb } from "../db/database.js";
import { discard, enqueue, markFailed, markSending, queued, settle } from "../db/outbox.js";
import type { OutboxRow } from "../db/records.js";
import { fullJitter } from "./backoff.js";

export interface OutboxSenderOptions {
  db: CourierDb;
  /** Sends over the live transport, or HTTP when there is none. */
  send(request: SendRequest): Promise<Message>;
  /** The session is gone: stop and ask the person to sign in again. */
  onReauth(): void;
}

/**
 * Sends outbox rows one at a time, oldest first, so messages arrive in the
 * order they were typed. A row that cannot go out yet (offline, rate limited)
 * stops the queue behind it and is retried later or when the link returns; a
 * row the server refuses for good is marked failed and the queue moves on.
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

  constructor(private readonly opts: OutboxSenderOptions) {}

  async send(conversationId: string, body: string): Promise<OutboxRow> {
    const row = await enqueue(this.opts.db, conversationId, body);
    this.flush();
    return row;
  }

  async retry(clientMsgId: string): Promise<void> {
    await markSending(this.opts.db, clientMsgId);
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
    this.clearTimer();
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      do {
        this.again = false;
        for (const row of await queued(this.opts.db)) {
          if (this.stopped) return;
          if (!(await this.attempt(row))) return;
        }
      } while (this.again && !this.stopped);
    } catch (error) {
      console.error("courier: outbox flush failed", error);
    } finally {
      this.running = false;
    }
  }

  /** True to go on with the next row, false to stop the queue here. */
  private async attempt(row: OutboxRow): Promise<boolean> {
    try {
      const message = await this.opts.send({ clientMsgId: row.clientMsgId, conversationId: row.conversationId, kind: "text", body: row.body });
      await settle(this.opts.db, message);
      this.failures = 0;
      return true;
    } catch (error) {
      switch (decide(error)) {
        case "give_up":
          await markFailed(this.opts.db, row.clientMsgId, describeError(error));
          return true;
        case "reauth":
          this.opts.onReauth();
          return false;
        case "retry": {
          const hint = error instanceof CourierError ? error.retryAfterMs : undefined;
          this.schedule(hint ?? fullJitter(this.failures++, 1_000, 30_000) + 500);
          return false;
        }
      }
    }
  }

  private schedule(ms: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
