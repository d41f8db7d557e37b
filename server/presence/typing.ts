import { CourierError, parseInput, TYPING_RELAY_GAP_MS, typingRequestSchema } from "../../shared/protocol/index.js";
import type { Context } from "../context.js";
import { activeMembership } from "./membership.js";

/**
 * "I am typing" (docs/marketplace.md, Presence): checked, then handed to the
 * hub as an ephemeral frame for the other active members' live connections
 * on every process (cluster bus, not the log). Never to the typer's own
 * devices. A non-member gets 403 (the conversation's existence is not
 * confirmed either way) and nothing is relayed.
 *
 * Besides the user's request budget (every HTTP request and socket event
 * pays it), one signal per user and conversation is relayed per
 * TYPING_RELAY_GAP_MS on this process; a faster one is refused (429) before
 * any read. The app signals every TYPING_SIGNAL_MS at most.
 */
export async function typing(ctx: Context, userId: string, payload: unknown): Promise<void> {
  const { conversationId } = parseInput(typingRequestSchema, payload ?? {}, "typing");
  const throttle = throttleOf(ctx);
  const key = `${userId}|${conversationId}`;
  throttle.check(key);
  const others = await ctx.storage.read(async (r) => {
    const members = await activeMembership(r, userId, conversationId);
    if (!members) throw CourierError.forbidden("You are not in this conversation.");
    // A direct or item chat with no message yet is not shown to the other member (docs/protocol.md
    // "The conversation list"): their typing indicator must not announce it either.
    const conv = await r.conversations.get(conversationId);
    if (conv && conv.type !== "group" && conv.lastSeq === 0) return [];
    const recipients: string[] = [];
    for (const id of members) {
      // Blocked either way: the blocker sees nothing of the other (in groups their messages are hidden too).
      if (id !== userId && !(await r.safety.eitherWay(userId, id))) recipients.push(id);
    }
    return recipients;
  });
  // Only a signal relayed takes a turn: a refused one (not a member) does not hold back the next.
  throttle.take(key);
  ctx.hub.ephemeral(others, { type: "typing", conversationId, userId });
}

/** Per process: when each (user, conversation) last had a signal relayed. */
export class TypingThrottle {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly clock: () => number,
    private readonly gapMs = TYPING_RELAY_GAP_MS,
  ) {}

  /** Refuses with 429 (and how long to wait) when the key's last turn is too recent. */
  check(key: string): void {
    const now = this.clock();
    const last = this.last.get(key);
    if (last !== undefined && now - last < this.gapMs) {
      const wait = this.gapMs - (now - last);
      throw new CourierError("rate_limited", `Too many typing signals; try again in ${Math.ceil(wait / 1000)} s.`, wait);
    }
  }

  /** The key's turn, now. */
  take(key: string): void {
    const now = this.clock();
    if (this.last.size >= 10_000) this.prune(now);
    this.last.set(key, now);
  }

  private prune(now: number): void {
    for (const [key, at] of this.last) if (now - at >= this.gapMs) this.last.delete(key);
  }
}

const throttles = new WeakMap<Context, TypingThrottle>();
function throttleOf(ctx: Context): TypingThrottle {
  let throttle = throttles.get(ctx);
  if (!throttle) throttles.set(ctx, (throttle = new TypingThrottle(ctx.clock)));
  return throttle;
}
