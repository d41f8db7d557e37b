import { afterEach, describe, expect, it } from "vitest";
import { type Entry, isKind, type Summary } from "../../shared/protocol/index.js";
import { call, openDirect, pullAll, register, sendHttp, type Session, startServer, type TestServer } from "../testing/harness.js";

/** Archive and mark unread (issue 13): private settings, synced to the user's own devices as conv entries, on both engines. */

let server: TestServer;
afterEach(async () => server?.dispose());

const settings = (s: Session, conversationId: string, body: unknown) =>
  call<{ summary: Summary; error?: { code: string } }>(server.app, "PATCH", `/api/conversations/${conversationId}/settings`, { token: s.token, body });
const read = (s: Session, conversationId: string, seq: number) =>
  call<{ summary: Summary }>(server.app, "POST", `/api/conversations/${conversationId}/read`, { token: s.token, body: { seq } });
const listed = async (s: Session, conversationId: string) =>
  (await call<{ conversations: Summary[] }>(server.app, "GET", "/api/conversations", { token: s.token })).body.conversations.find(
    (c) => c.conversationId === conversationId,
  )!;

/** The conv entries in the user's chat domain after version `after`, as the summaries they carry. */
async function convEntries(s: Session, after: number): Promise<Summary[]> {
  const { entries } = await pullAll(server.app, s, "chat", after);
  return entries.filter((e: Entry) => isKind(e, "conv")).map((e) => (e.data as { summary: Summary }).summary);
}

async function chat() {
  server = await startServer();
  const alice = await register(server.app);
  const bob = await register(server.app);
  const { conversationId } = await openDirect(server.app, alice, bob);
  // A first message: until then the chat is alice's only (first-message.test.ts).
  await sendHttp(server.app, alice, conversationId);
  return { alice, bob, conversationId };
}

describe("organising conversations", () => {
  it("archives and unarchives: the summary says so, the user's devices get a conv entry, the other member nothing", async () => {
    const { alice, bob, conversationId } = await chat();
    // A summary that is not archived says nothing about it (older clients see what they always saw).
    expect(await listed(alice, conversationId)).not.toHaveProperty("archived");
    const aliceHead = (await pullAll(server.app, alice, "chat")).head;
    const bobHead = (await pullAll(server.app, bob, "chat")).head;

    const archived = await settings(alice, conversationId, { archived: true });
    expect(archived.status).toBe(200);
    expect(archived.body.summary.archived).toBe(true);
    expect((await listed(alice, conversationId)).archived).toBe(true);
    expect(await convEntries(alice, aliceHead)).toEqual([expect.objectContaining({ conversationId, archived: true })]);
    expect((await pullAll(server.app, bob, "chat")).head).toBe(bobHead);
    expect(await listed(bob, conversationId)).not.toHaveProperty("archived");

    const back = await settings(alice, conversationId, { archived: false });
    expect(back.body.summary).not.toHaveProperty("archived");
    expect((await convEntries(alice, aliceHead)).at(-1)).not.toHaveProperty("archived");
  });

  it("an archived conversation stays archived when a message arrives (it shows as unread in the archive)", async () => {
    const { alice, bob, conversationId } = await chat();
    await settings(alice, conversationId, { archived: true });
    await sendHttp(server.app, bob, conversationId, "still there?");
    const summary = await listed(alice, conversationId);
    expect(summary).toMatchObject({ archived: true, unread: 1 });
  });

  it("marked unread until read: reading clears it and tells the user's devices with a conv entry", async () => {
    const { alice, bob, conversationId } = await chat();
    const m = await sendHttp(server.app, bob, conversationId, "hi");
    await read(alice, conversationId, m.seq);
    const marked = await settings(alice, conversationId, { markedUnread: true });
    expect(marked.body.summary).toMatchObject({ markedUnread: true, unread: 0 });
    expect((await listed(alice, conversationId)).markedUnread).toBe(true);
    const head = (await pullAll(server.app, alice, "chat")).head;

    // Opening the chat again: nothing new to read, but the mark goes, on every device.
    const opened = await read(alice, conversationId, m.seq);
    expect(opened.body.summary).not.toHaveProperty("markedUnread");
    expect(await listed(alice, conversationId)).not.toHaveProperty("markedUnread");
    const after = await convEntries(alice, head);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toHaveProperty("markedUnread");

    // Reading without a mark appends no conv entry.
    const quiet = (await pullAll(server.app, alice, "chat")).head;
    await read(alice, conversationId, m.seq);
    expect(await convEntries(alice, quiet)).toEqual([]);
  });

  it("settings are independent: archiving keeps pinned, remark and the unread mark", async () => {
    const { alice, conversationId } = await chat();
    await settings(alice, conversationId, { pinned: true, remark: "Bob", markedUnread: true });
    const res = await settings(alice, conversationId, { archived: true });
    expect(res.body.summary).toMatchObject({ pinned: true, remark: "Bob", markedUnread: true, archived: true });
  });

  it("refuses wrong values and strangers, changing nothing", async () => {
    const { alice, conversationId } = await chat();
    const eve = await register(server.app);
    for (const body of [{ archived: "yes" }, { markedUnread: 1 }, {}]) {
      const res = await settings(alice, conversationId, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await settings(eve, conversationId, { archived: true })).status).toBe(403);
    expect(await listed(alice, conversationId)).not.toHaveProperty("archived");
  });
});
