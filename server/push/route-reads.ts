import type { BlockPair, MemberPair, PushConversation, PushTarget } from "../storage/push-types.js";
import type { Storage } from "../storage/storage.js";

/** What one routing reads: the user's devices (as of `now`), conversations and senders. */
export interface RouteNeeds {
  userId: string;
  now: number;
  conversationIds: readonly string[];
  senderIds: readonly string[];
}

/** What one routing decides on: the user's devices, each conversation asked (null: not a member), the senders the user blocks. */
export interface RouteKnown {
  targets: PushTarget[];
  conversations: Map<string, PushConversation | null>;
  blocked: Set<string>;
}

interface Waiting {
  needs: RouteNeeds;
  resolve: (known: RouteKnown) => void;
  reject: (err: unknown) => void;
}

const pairKey = (a: string, b: string) => `${a}\u0000${b}`;

/**
 * One storage read for every routing that starts in the same turn (issue 16).
 * A message to a 500-member group starts 500 routings at once (one per
 * recipient, each on its user's chain); each registers what it needs here
 * and one read answers all of them with the batched repo methods, instead of
 * one read (devices, then each conversation, then each sender's block) per
 * recipient. Each routing then decides on exactly what its own read would
 * have answered; only the read is shared, the order of routings per user
 * does not change. If the read fails, every routing of the batch fails, as
 * each would have alone.
 */
export class RouteReads {
  private waiting: Waiting[] = [];

  constructor(private readonly storage: Storage) {}

  load(needs: RouteNeeds): Promise<RouteKnown> {
    return new Promise<RouteKnown>((resolve, reject) => {
      // The first of a turn schedules the read after every routing already started (queued microtasks) has registered.
      if (this.waiting.length === 0) void Promise.resolve().then(() => this.run());
      this.waiting.push({ needs, resolve, reject });
    });
  }

  private async run(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    try {
      const answered = await this.read(batch.map((w) => w.needs));
      for (const [i, w] of batch.entries()) w.resolve(answered[i]!);
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }

  private async read(all: RouteNeeds[]): Promise<RouteKnown[]> {
    const usersAt = new Map<number, Set<string>>();
    const members = new Map<string, MemberPair>();
    const blockPairs = new Map<string, BlockPair>();
    for (const n of all) {
      let users = usersAt.get(n.now);
      if (!users) usersAt.set(n.now, (users = new Set()));
      users.add(n.userId);
      for (const conversationId of n.conversationIds) members.set(pairKey(n.userId, conversationId), { userId: n.userId, conversationId });
      for (const senderId of n.senderIds) blockPairs.set(pairKey(n.userId, senderId), { blockerId: n.userId, blockedId: senderId });
    }
    // The reads do not depend on each other: started together, a server database answers them in one round trip.
    const { targets, conversations, blocked } = await this.storage.read(async (r) => {
      const [byNow, conversations, blocked] = await Promise.all([
        Promise.all([...usersAt].map(async ([now, users]) => [now, await r.push.targetsOf([...users], now)] as const)),
        members.size > 0 ? r.push.conversationsOf([...members.values()]) : [],
        blockPairs.size > 0 ? r.safety.blockedAmong([...blockPairs.values()]) : [],
      ]);
      return { targets: new Map<number, Map<string, PushTarget[]>>(byNow), conversations, blocked };
    });
    const convByPair = new Map(conversations.map(({ userId, conversationId, ...conv }) => [pairKey(userId, conversationId), conv]));
    const blockedPairs = new Set(blocked.map((p) => pairKey(p.blockerId, p.blockedId)));
    return all.map((n) => ({
      targets: [...(targets.get(n.now)?.get(n.userId) ?? [])],
      conversations: new Map(n.conversationIds.map((c) => [c, convByPair.get(pairKey(n.userId, c)) ?? null])),
      blocked: new Set(n.senderIds.filter((s) => blockedPairs.has(pairKey(n.userId, s)))),
    }));
  }
}
