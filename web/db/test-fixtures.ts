import type { Entry, Message } from "../../shared/protocol/index.js";
import { ConsumerRegistry } from "../../shared/sync/consumers.js";
import { registerConsumers } from "./consumers.js";
import { CourierDb } from "./database.js";
import type { StoredSummary } from "./records.js";
import { DexieSyncStore } from "./store.js";

/** Builders for store tests: plausible wire objects with only what a test cares about spelled out. */
export const ME = "u-me";
export const PEER = "u-peer";

export function summary(conversationId: string, over: Partial<StoredSummary> = {}): StoredSummary {
  return {
    conversationId,
    conversation: { id: conversationId, type: "direct", memberIds: [ME, PEER], lastSeq: 0, at: 1_000 },
    lastMessage: null,
    unread: 0,
    readSeq: 0,
    muted: false,
    pinned: false,
    remark: "",
    label: "",
    members: [
      { id: ME, username: "me", displayName: "Me" },
      { id: PEER, username: "peer", displayName: "Peer" },
    ],
    ...over,
  };
}

export function message(conversationId: string, seq: number, over: Partial<Message> = {}): Message {
  return {
    id: `${conversationId}-m${seq}`,
    conversationId,
    seq,
    senderId: PEER,
    clientMsgId: crypto.randomUUID(),
    kind: "text",
    body: `message ${seq}`,
    at: 1_000 + seq,
    ...over,
  };
}

let nextV = 1;
export function resetVersions(): void {
  nextV = 1;
}

export function entry(k: string, data: unknown, v = nextV++): Entry {
  return { d: k === "order" ? "system" : "chat", v, k, at: 2_000 + v, data };
}

export const msgEntry = (m: Message, v?: number) => entry("msg", { message: m }, v);
export const convEntry = (s: StoredSummary, v?: number) => entry("conv", { summary: s }, v);

/** A fresh database (fake-indexeddb: import "fake-indexeddb/auto" first) with the real consumers and sync store, as the app runs them. */
export async function openTestStore(me = ME): Promise<{ db: CourierDb; store: DexieSyncStore }> {
  const db = new CourierDb(`test-${crypto.randomUUID()}`);
  await db.open();
  const registry = new ConsumerRegistry();
  registerConsumers(registry, db, me);
  return { db, store: new DexieSyncStore(db, registry, me) };
}
