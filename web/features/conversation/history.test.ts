import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Api } from "../../api/client.js";
import { Http } from "../../api/http.js";
import { CourierDb } from "../../db/database.js";
import { message } from "../../db/test-fixtures.js";
import type { Session } from "../../session.js";
import { loadDownTo } from "./history.js";

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
