import type Database from "better-sqlite3";
import type { AppendBatch } from "../append-batch.js";
import type { Repos } from "../tx.js";
import { CampaignStore } from "./campaign-store.js";
import { CommandStore } from "./command-store.js";
import { SearchStore } from "./search-store.js";
import { ConversationStore } from "./conversation-store.js";
import { DeviceStore } from "./device-store.js";
import { FollowStore } from "./follow-store.js";
import { ItemStore, OrderStore } from "./item-store.js";
import { MediaRecordStore } from "./media-store.js";
import { MessageStore } from "./message-store.js";
import { OfferStore } from "./offer-store.js";
import { PushStore } from "./push-store.js";
import { SafetyStore } from "./safety-store.js";
import { SyncStore } from "./sync-store.js";
import { NodeMetricsStore, TraceStore } from "./trace-store.js";
import { SessionStore, UserStore } from "./user-store.js";

/**
 * Every repository's prepared statements, created once per database. The
 * engine runs one task at a time, so one set serves every task; `session`
 * points the entry log at the running write's batch.
 *
 * A LIMIT is written `LIMIT +?`, never `LIMIT ?`: SQLite (3.47 and later)
 * takes a bare bound LIMIT as a constant for its plan and expires the
 * statement whenever that parameter is bound again, which better-sqlite3 does
 * on every run, so each run would parse and plan the statement anew.
 */
export function createStores(
  db: Database.Database,
  ringCapacity: number,
  /** A message with search text was inserted (search-indexer.ts). */
  onSearchable: () => void = () => {},
): { repos: Repos; session(batch: AppendBatch | null): Repos } {
  const log = new SyncStore(db, ringCapacity);
  const repos: Repos = {
    users: new UserStore(db),
    sessions: new SessionStore(db),
    devices: new DeviceStore(db),
    items: new ItemStore(db),
    conversations: new ConversationStore(db),
    messages: new MessageStore(db, onSearchable),
    orders: new OrderStore(db),
    offers: new OfferStore(db),
    log,
    push: new PushStore(db),
    follows: new FollowStore(db),
    campaigns: new CampaignStore(db),
    search: new SearchStore(db),
    commands: new CommandStore(db),
    media: new MediaRecordStore(db),
    safety: new SafetyStore(db),
    trace: new TraceStore(db),
    nodeMetrics: new NodeMetricsStore(db),
  };
  return {
    repos,
    session(batch) {
      log.batch = batch;
      return repos;
    },
  };
}
