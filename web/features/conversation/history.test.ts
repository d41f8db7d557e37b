import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Api } from "../../api/client.js";
import { Http } from "../../api/http.js";
import { CourierDb } from "../../db/database.js";
import { message } from "../../db/test-fixtures.js";
import type { DBCore, Middleware } from "dexie";
import type { Session } from "../../session.js";
import { loadDownTo, storePage } from "./history.js";

/** A quote far up: history is loaded page by page below what is held, with no gap, until the quoted message is there. */
let db: CourierDb;
const asked: string[] = [];
/** The server holds messages 1..300 of c1; this device the newest 20. */
let server = Array.from({ length: 300 }, (_, i) => message("c1", i + 1));
const api = new Api(
  new Http("", async (input) => {
    const url = new URL(String(input), "http://x");
    asked.push(url.search);
    const before = Number(url.searchParams.get("before") ?? Infinity);
    const limit = Number(url.searchParams.get("limit"));
    const page = server.filter((m) => m.seq < before).slice(-limit);
    return new Response(JSON.stringify({ messages: page }), { status: 200, headers: { "content-type": "application/json" } });
  }),
);

beforeEach(async () => {
  asked.length = 0;
  server = Array.from({ length: 300 }, (_, i) => message("c1", i + 1));
  db = new CourierDb(`history-${crypto.randomUUID()}`);
  await db.open();
  await db.messages.bulkPut(server.slice(-20));
});
afterEach(async () => {
  await db.delete();
});

describe("loadDownTo", () => {
  it("pages down from the oldest message held until the quoted one is stored, leaving no gap", async () => {
    const session = { db, api } as unknown as Session;
    expect(await loadDownTo(session, "c1", 150)).toBe(true);
    expect(asked).toEqual(["?before=281&limit=100", "?before=181&limit=100"]);
    const seqs = (await db.messages.where("[conversationId+seq]").between(["c1", 0], ["c1", 999]).toArray()).map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: 220 }, (_, i) => i + 81));
  });

  it("answers false when the beginning comes first (the message is not there for me)", async () => {
    const session = { db, api } as unknown as Session;
    server = server.slice(10); // 1..10 are not in my history (deleted for me)
    expect(await loadDownTo(session, "c1", 5)).toBe(false);
    expect(asked.at(-1)).toMatch(/before=\d+&limit=100/);
  });
});

describe("storePage", () => {
  /** The message rows that reach IndexedDB (each one has its search terms computed again on the way). */
  function countingPuts(into: string[]): Middleware<DBCore> {
    return {
      stack: "dbcore",
      name: "count-puts",
      create: (down) => ({
        ...down,
        table: (name) => {
          const table = down.table(name);
          if (name !== "messages") return table;
          return {
            ...table,
            mutate: (req) => {
              if (req.type === "put" || req.type === "add") into.push(...req.values.map((v: { id: string }) => v.id));
              return table.mutate(req);
            },
          };
        },
      }),
    };
  }

  it("writes only the rows not held, a tombstone, or a copy over a tombstone: a held row is not rewritten", async () => {
    const written: string[] = [];
    const counted = new CourierDb(`history-${crypto.randomUUID()}`);
    counted.use(countingPuts(written));
    await counted.open();
    try {
      await counted.messages.bulkPut([...server.slice(270, 290), { ...server[260]!, body: "", recalled: true }]);
      written.length = 0;

      // A page of 261..300: 261 is held as a tombstone, 271..290 with their text (276 and 285 now tombstones on the server), the rest are new.
      const page = server.slice(260).map((m) =>
        m.seq === 276 ? { ...m, body: "", recalled: true } : m.seq === 285 ? { ...m, body: "", hidden: true } : m,
      );
      await storePage(counted, page);

      const expected = [261, ...range(262, 270), 276, 285, ...range(291, 300)].map((seq) => `c1-m${seq}`);
      expect(written.sort()).toEqual(expected.sort());
      expect(await counted.messages.get("c1-m261")).toMatchObject({ recalled: true, body: "" });
      expect(await counted.messages.get("c1-m276")).toMatchObject({ recalled: true, body: "" });
      expect(await counted.messages.get("c1-m285")).toMatchObject({ hidden: true, body: "" });
      expect(await counted.messages.get("c1-m275")).toMatchObject({ body: "message 275" });
    } finally {
      await counted.delete();
    }
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
