import type { StoredCampaign } from "../storage/push-types.js";
import type { Repos } from "../storage/storage.js";

/**
 * Campaigns go out in steps. Each step, in one transaction, appends the promo
 * to the marketing domain of the next `limit` users the campaign has not
 * reached (in id order, among those who had an account when it was created)
 * and records how far it got. However often a step runs, and by however many
 * requests or processes at once (the campaign row is locked), each user gets
 * the campaign once.
 */
export async function campaignStep(r: Repos, campaignId: string, limit: number, at: number): Promise<StoredCampaign> {
  const current = await r.campaigns.lock(campaignId);
  if (!current) throw new Error(`campaign ${campaignId} is not stored`);
  if (current.done) return current;
  const userIds = await r.users.idsAfter(current.sentThrough ?? "", current.createdAt, limit);
  if (userIds.length === 0) {
    await r.campaigns.finish(campaignId);
    return { ...current, done: true };
  }
  const sentThrough = userIds[userIds.length - 1]!;
  await r.campaigns.progress(campaignId, sentThrough, userIds.length);
  const data = { campaignId: current.id, title: current.title, body: current.body, ...(current.url !== undefined ? { url: current.url } : {}) };
  await r.log.append(
    userIds.map((userId) => ({ userId, d: "marketing" as const, k: "promo", data })),
    at,
  );
  return { ...current, sentThrough, recipients: current.recipients + userIds.length };
}


/** A campaign step's target wall time (the write, its commit and the push routing it causes): chat waits at most about this behind one. */
export const CAMPAIGN_STEP_BUDGET_MS = 5;
/** Users per step: the first step's, and the bounds the pace keeps to. */
export const CAMPAIGN_STEP_USERS = { first: 50, min: 10, max: 500 } as const;

/**
 * How a campaign goes out beside chat (issue 16: marketing never delays
 * chat). Steps are sized to take about `budgetMs` each, from the time the
 * previous ones took (at most doubling or halving from one step to the
 * next), and after each step the campaign rests as long as the step took:
 * it uses at most about half of the process and of the database, and a chat
 * write waits behind at most one short step. A slow disk or a busy database
 * makes the steps smaller, never the chat slower. The sizes change only how
 * many transactions a campaign takes, not who gets it: each step records how
 * far it went (campaignStep).
 */
export class CampaignPace {
  /** Users in the next step. */
  limit: number;

  constructor(
    private readonly budgetMs = CAMPAIGN_STEP_BUDGET_MS,
    private readonly bounds: { first: number; min: number; max: number } = CAMPAIGN_STEP_USERS,
  ) {
    this.limit = bounds.first;
  }

  /** After a step of `users` that took `tookMs`: sizes the next one and answers how long to rest before it. */
  stepTook(users: number, tookMs: number): number {
    const took = Math.max(tookMs, 0.1);
    const fitting = Math.round((users * this.budgetMs) / took);
    const { min, max } = this.bounds;
    this.limit = Math.min(max, Math.max(min, Math.round(this.limit / 2), Math.min(fitting, this.limit * 2)));
    return took;
  }
}
