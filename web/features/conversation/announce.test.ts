import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";
import { ConsumerRegistry } from "../../../shared/sync/consumers.js";
import { registerConsumers } from "../../db/consumers.js";
import { CourierDb } from "../../db/database.js";
import { landMessages, useLanding } from "../../db/landing.js";
import { DexieSyncStore } from "../../db/store.js";
import { convEntry, ME, message, msgEntry, PEER, resetVersions, summary } from "../../db/test-fixtures.js";
import { type Announcement, watchLandings } from "./announce.js";

const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  useLanding.getState().clear();
  resetVersions();
});

/** The app's store with messages landing as the sync client lands them, the announcer watching, and IndexedDB's transactions in the order they were opened. */
async function world(open: string | null = null) {
  // Before the database opens: Dexie binds the connection's transaction() when it opens.
  const opened: string[] = [];
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, names: string | string[], mode?: IDBTransactionMode, options?: IDBTransactionOptions) {
    const stores = typeof names === "string" ? [names] : [...names];
    opened.push(`${mode ?? "readonly"} ${stores.length > 2 ? "all" : stores.join(",")}`);
    return transaction.call(this, names, mode, options);
  } as typeof transaction;
  stops.push(() => (IDBDatabase.prototype.transaction = transaction));
  const db = new CourierDb(`test-${crypto.randomUUID()}`);
  await db.open();
  const registry = new ConsumerRegistry();
  registerConsumers(registry, db, ME);
  const store = new DexieSyncStore(db, registry, ME, (entries) => landMessages(entries));
  const said: Announcement[][] = [];
  stops.push(watchLandings({ db, me: ME, blocked: () => new Set(), open: () => open, say: (items) => said.push(items), now: () => 2_000 }));
  stops.push(() => db.close());
  return { db, store, opened, said };
}

const settled = async (said: unknown[], count: number) => {
  for (let i = 0; i < 100 && said.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe("new messages told to a screen reader", () => {
  it("reads the summaries that name them only after the store's write is opened, never holding that write back", async () => {
    const { store, opened, said } = await world("c1");
    await store.apply("chat", [convEntry(summary("c1")), msgEntry(message("c1", 1, { body: "first" }))], 2);
    await settled(said, 1);
    opened.length = 0;
    await store.apply("chat", [msgEntry(message("c1", 2, { body: "second" }))], 3);
    await settled(said, 2);
    // The page's write first; the announcer's read after it (it was the other way round: the write waited).
    expect(opened.filter((t) => t.startsWith("readwrite all") || t === "readonly conversations")).toEqual(["readwrite all", "readonly conversations"]);
    expect(said.at(-1)).toEqual([{ key: "c1-m2", text: "Peer: second" }]);
  });

  it("tells the first message of a conversation that arrives in the same batch as its summary", async () => {
    const { store, said } = await world();
    await store.apply("chat", [convEntry(summary("c2", { members: [{ id: ME, username: "me", displayName: "Me" }, { id: PEER, username: "peer", displayName: "Bob" }] })), msgEntry(message("c2", 1, { at: 1_500 }))], 2);
    await settled(said, 1);
    expect(said).toEqual([[{ key: "c2-m1", text: "New message in Bob" }]]);
  });
});
