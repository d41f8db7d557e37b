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

