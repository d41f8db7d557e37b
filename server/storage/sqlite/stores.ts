import type Database from "better-sqlite3";
import { CampaignStore } from "./campaign-store.js";
import { ConversationStore } from "./conversation-store.js";
import { DeviceStore } from "./device-store.js";
import { FollowStore } from "./follow-store.js";
import { ItemStore } from "./item-store.js";
import { MessageStore } from "./message-store.js";
import { OrderStore } from "./order-store.js";
import { PushStore } from "./push-store.js";
import { SyncStore } from "./sync-store.js";
import { UserStore } from "./user-store.js";

/** Every table group's prepared statements, created once per database. */
export interface Stores {
  users: UserStore;
  devices: DeviceStore;
  items: ItemStore;
  conversations: ConversationStore;
  messages: MessageStore;
  orders: OrderStore;
  sync: SyncStore;
  push: PushStore;
  follows: FollowStore;
  campaigns: CampaignStore;
}

export function createStores(db: Database.Database, ringCapacity: number): Stores {
  return {
    users: new UserStore(db),
    devices: new DeviceStore(db),
    items: new ItemStore(db),
    conversations: new ConversationStore(db),
    messages: new MessageStore(db),
    orders: new OrderStore(db),
    sync: new SyncStore(db, ringCapacity),
    push: new PushStore(db),
    follows: new FollowStore(db),
    campaigns: new CampaignStore(db),
  };
}
