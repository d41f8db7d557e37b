import type { RedisGuard } from "./redis-guard.js";

/**
 * Which message the newest chat notification of a conversation previewed,
 * per device: the only one whose text that device may still show (a newer
 * notification of the conversation replaces the older under its tag). A
 * recall, or the user's own delete for me, is pushed to exactly the devices
 * whose newest notification previewed that message, whether or not the
 * conversation has been read since (the notification may still be on
 * screen); and since that push was the newest for the conversation, the
 * replacement may take its Topic without displacing a newer one.
 */
export interface LastShown {
  shown(userId: string, deviceId: string, conversationId: string, messageId: string): void;
  /** The message previewed last; null: none (or long ago); "unknown": Redis did not answer and this process has not sent one. */
  last(userId: string, deviceId: string, conversationId: string): Promise<string | null | "unknown">;
}

/** How long a device's last preview is remembered: the chat TTL at the push service, and some days on screen. */
export const SHOWN_TTL_MS = 7 * 24 * 60 * 60_000;
/** Records kept in memory at most (the oldest go first). */
const MAX_SHOWN = 100_000;

const key = (userId: string, deviceId: string, conversationId: string) => `ps:{${userId}}:${deviceId}:${conversationId}`;

/** One process: a capped map (only message ids, never text). */
export class MemoryShown implements LastShown {
  private readonly byKey = new Map<string, { messageId: string; until: number }>();

  constructor(private readonly clock: () => number) {}

  shown(userId: string, deviceId: string, conversationId: string, messageId: string): void {
    const k = key(userId, deviceId, conversationId);
    this.byKey.delete(k);
    if (this.byKey.size >= MAX_SHOWN) this.byKey.delete(this.byKey.keys().next().value!);
    this.byKey.set(k, { messageId, until: this.clock() + SHOWN_TTL_MS });
  }

  last(userId: string, deviceId: string, conversationId: string): Promise<string | null> {
    const found = this.byKey.get(key(userId, deviceId, conversationId));
    return Promise.resolve(found && found.until > this.clock() ? found.messageId : null);
  }
}

/** Shared by every process: a string key per (user, device, conversation), expiring; this process's own record while Redis does not answer. */
export class RedisShown implements LastShown {
  private readonly local: MemoryShown;

  constructor(
    private readonly guard: RedisGuard,
    private readonly track: (p: Promise<unknown>) => void,
    clock: () => number,
  ) {
    this.local = new MemoryShown(clock);
  }

  shown(userId: string, deviceId: string, conversationId: string, messageId: string): void {
    this.local.shown(userId, deviceId, conversationId, messageId);
    this.track(this.guard.run((redis) => redis.set(key(userId, deviceId, conversationId), messageId, "PX", SHOWN_TTL_MS)));
  }

  async last(userId: string, deviceId: string, conversationId: string): Promise<string | null | "unknown"> {
    const answer = await this.guard.run(async (redis) => ({ messageId: await redis.get(key(userId, deviceId, conversationId)) }));
    if (answer) return answer.messageId;
    return (await this.local.last(userId, deviceId, conversationId)) ?? "unknown";
  }
}
