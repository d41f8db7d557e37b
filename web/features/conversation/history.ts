import type { Session } from "../../session.js";

export const HISTORY_PAGE = 50;

/**
 * Fetches the page of messages just below `before` (the oldest one held) and
 * stores it, so it is there next time without the network. Returns how many
 * came back: fewer than asked means the beginning was reached.
 */
export async function fetchEarlier({ db, api }: Session, conversationId: string, before: number | undefined): Promise<number> {
  const messages = await api.history(conversationId, before, HISTORY_PAGE);
  await db.transaction("rw", db.messages, async () => {
    // Keep local copies: they may carry a recall applied since.
    const have = new Set((await db.messages.bulkGet(messages.map((m) => m.id))).map((m) => m?.id));
    await db.messages.bulkPut(messages.filter((m) => !have.has(m.id)));
  });
  return messages.length;
}
