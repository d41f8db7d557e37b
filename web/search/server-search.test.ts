import { describe, expect, it } from "vitest";
import type { SearchPage, SearchPageQuery } from "../api/client.js";
import { NetworkError } from "../api/errors.js";
import { message } from "../db/test-fixtures.js";
import { ServerSearch, type ServerSearchState } from "./server-search.js";

/** A server whose answers the test gives, one request at a time, in any order. */
function scriptedServer() {
  const requests: { query: SearchPageQuery; signal: AbortSignal; answer(page: SearchPage): void; fail(error: unknown): void }[] = [];
  const fetchPage = (query: SearchPageQuery, signal: AbortSignal) =>
    new Promise<SearchPage>((resolve, reject) => requests.push({ query, signal, answer: resolve, fail: reject }));
  return { requests, fetchPage };
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("ServerSearch", () => {
  it("aborts a stale query and ignores its late answer", async () => {
    const server = scriptedServer();
    const states: ServerSearchState[] = [];
    const search = new ServerSearch(server.fetchPage, (s) => states.push(s));
    search.start("还");
    search.start("还在");
    expect(server.requests[0]!.signal.aborted).toBe(true);
    server.requests[1]!.answer({ messages: [message("c1", 2)] });
    server.requests[0]!.answer({ messages: [message("c1", 1)] });
    await settled();
    expect(search.current.status).toBe("done");
    expect(search.current.messages.map((m) => m.id)).toEqual(["c1-m2"]);
  });

  it("pages with the server's cursor, keeping earlier pages", async () => {
    const server = scriptedServer();
    const search = new ServerSearch(server.fetchPage, () => {});
    search.start("hello", "c1");
    server.requests[0]!.answer({ messages: [message("c1", 9)], before: "cursor-1" });
    await settled();
    search.more();
    expect(server.requests[1]!.query).toEqual({ q: "hello", conversationId: "c1", limit: 20, before: "cursor-1" });
    server.requests[1]!.answer({ messages: [message("c1", 3)] });
    await settled();
    expect(search.current).toMatchObject({ status: "done", before: undefined });
    expect(search.current.messages.map((m) => m.seq)).toEqual([9, 3]);
    search.more();
    expect(server.requests).toHaveLength(2);
  });

  it("says why a page failed and asks for the same page again", async () => {
    const server = scriptedServer();
    const search = new ServerSearch(server.fetchPage, () => {});
    search.start("hello");
    server.requests[0]!.answer({ messages: [message("c1", 9)], before: "cursor-1" });
    await settled();
    search.more();
    server.requests[1]!.fail(new NetworkError());
    await settled();
    expect(search.current.status).toBe("failed");
    expect(search.current.error).toMatch(/offline/);
    expect(search.current.messages).toHaveLength(1);
    search.retry();
    expect(server.requests[2]!.query.before).toBe("cursor-1");
  });

  it("stops: the request in flight is aborted and nothing is shown", async () => {
    const server = scriptedServer();
    const search = new ServerSearch(server.fetchPage, () => {});
    search.start("hello");
    search.stop();
    expect(server.requests[0]!.signal.aborted).toBe(true);
    server.requests[0]!.answer({ messages: [message("c1", 1)] });
    await settled();
    expect(search.current).toEqual({ status: "idle", messages: [], error: null });
  });
});
