import type { Repos } from "../tx.js";
import { PgItems, PgOffers, PgOrders } from "./catalogue.js";
import { PgCommands } from "./commands.js";
import { PgSearch } from "./search.js";
import { PgConversations, PgMessages } from "./chat.js";
import type { Db } from "./db.js";
import { PgDevices } from "./devices.js";
import type { AppendBatch } from "../append-batch.js";
import { PgEntryLog } from "./entry-log.js";
import { PgMedia } from "./media.js";
import { PgSessions, PgUsers } from "./identity.js";
import { PgCampaigns, PgFollows, PgPush } from "./push.js";
import { PgSafety } from "./safety.js";
import { PairReadAhead } from "./read-ahead.js";
import { PgNodeMetrics, PgTrace } from "./trace.js";

/** Every repository, bound to one transaction's connection (and, in a write, its append batch). */
export function createRepos(db: Db, batch: AppendBatch | null, ring: number): Repos {
  const ahead = new PairReadAhead(db);
  return {
    users: new PgUsers(db),
    sessions: new PgSessions(db),
    devices: new PgDevices(db),
    items: new PgItems(db),
    conversations: new PgConversations(db, ahead),
    messages: new PgMessages(db),
    orders: new PgOrders(db),
    offers: new PgOffers(db),
    log: new PgEntryLog(db, batch, ring),
    push: new PgPush(db),
    follows: new PgFollows(db),
    campaigns: new PgCampaigns(db),
    search: new PgSearch(db),
    commands: new PgCommands(db),
    media: new PgMedia(db),
    safety: new PgSafety(db, ahead),
    trace: new PgTrace(db),
    nodeMetrics: new PgNodeMetrics(db),
  };
}
