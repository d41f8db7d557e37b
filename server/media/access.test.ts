import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { type Item, type Message, SESSION_COOKIE, type Summary } from "../../shared/protocol/index.js";
import { DEFAULT_MEDIA_CONFIG } from "../config.js";
import { messagePreview } from "../push/payload.js";
import { call, openDirect, pullAll, register, type Session, startServer, type TestServer } from "../testing/harness.js";
import { download, noisyJpeg, plainImage, sendPhotos, twoColourJpeg, uploaded } from "./testing.js";

/** Who sees a photo, photo messages and listing photos (contract "Media and rich messages"). Runs on SQLite and PostgreSQL. */

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0).reverse()) await s.dispose();
});
async function start(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const server = await startServer(...args);
  servers.push(server);
  return server;
}

const statusFor = async (server: TestServer, url: string, s: Session | null) => (await download(server.app, url, s)).status;

async function group(server: TestServer, creator: Session, others: Session[]): Promise<string> {
  const res = await call<{ summary: Summary }>(server.app, "POST", "/api/conversations", {
    token: creator.token,
    body: { type: "group", title: "Bikes", memberIds: others.map((o) => o.user.id) },
  });
  if (res.status !== 201) throw new Error(`group: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.summary.conversationId;
}

describe("GET /api/media/:id", () => {
  it("serves the uploader, then the members of a conversation where it was sent; anyone else gets 404", async () => {
    const server = await start();
    const [alice, bob, eve] = [await register(server.app, "alice"), await register(server.app, "bob"), await register(server.app, "eve")];
    const conv = await openDirect(server.app, alice, bob);
    const photo = await uploaded(server.app, alice, await twoColourJpeg(64, 48));
    for (const url of [photo.url, photo.thumbUrl]) {
      expect(await statusFor(server, url, alice)).toBe(200);
      expect(await statusFor(server, url, bob)).toBe(404);
    }
    expect((await sendPhotos(server.app, alice, conv.conversationId, [photo.id])).status).toBe(201);
    for (const url of [photo.url, photo.thumbUrl]) {
      expect([await statusFor(server, url, alice), await statusFor(server, url, bob), await statusFor(server, url, eve)]).toEqual([200, 200, 404]);
      expect(await statusFor(server, url, null)).toBe(401);
    }
    // A stranger can't tell an id that exists from one that does not.
    const missing = await download(server.app, `/api/media/${randomUUID()}`, eve);
    const hidden = await download(server.app, photo.url, eve);
    expect([missing.status, JSON.parse(missing.bytes.toString())]).toEqual([hidden.status, JSON.parse(hidden.bytes.toString())]);
  });

  it("answers with our own type, nosniff, a private immutable cache and the length, also to the session cookie", async () => {
    const server = await start();
    const alice = await register(server.app, "alice");
    const photo = await uploaded(server.app, alice, await plainImage("webp"));
    const res = await server.app.inject({ method: "GET", url: photo.url, headers: { cookie: `${SESSION_COOKIE}=${alice.token}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({
      "content-type": "image/webp",
      "x-content-type-options": "nosniff",
      "cache-control": "private, max-age=31536000, immutable",
      "content-length": String(photo.bytes),
    });
    expect(res.rawPayload.length).toBe(photo.bytes);
  });

  it("stops serving a group's photos to a member who left it", async () => {
    const server = await start();
    const [alice, bob, carol] = [await register(server.app, "alice"), await register(server.app, "bob"), await register(server.app, "carol")];
    const conversationId = await group(server, alice, [bob, carol]);
    for (const s of [bob, carol]) await call(server.app, "POST", `/api/conversations/${conversationId}/accept`, { token: s.token });
    const photo = await uploaded(server.app, alice, await plainImage("jpeg"));
    expect((await sendPhotos(server.app, alice, conversationId, [photo.id])).status).toBe(201);
    expect([await statusFor(server, photo.url, bob), await statusFor(server, photo.url, carol)]).toEqual([200, 200]);
    expect((await call(server.app, "POST", `/api/conversations/${conversationId}/leave`, { token: carol.token })).status).toBe(204);
    expect([await statusFor(server, photo.url, bob), await statusFor(server, photo.url, carol)]).toEqual([200, 404]);
  });

  it("serves a listing's photos to everyone signed in", async () => {
    const server = await start();
    const [seller, anyone] = [await register(server.app, "seller"), await register(server.app, "anyone")];
    const [front, back] = [await uploaded(server.app, seller, await plainImage("jpeg")), await uploaded(server.app, seller, await plainImage("png"))];
    const created = await call<{ item: Item }>(server.app, "POST", "/api/items", {
      token: seller.token,
      body: { title: "Bike", priceCents: 5000, mediaIds: [back.id, front.id] },
    });
    expect(created.status).toBe(201);
    const photos = [back, front].map(({ bytes: _bytes, ...media }) => media);
    expect(created.body.item.photos).toEqual(photos);
    expect((await call<{ item: Item }>(server.app, "GET", `/api/items/${created.body.item.id}`, { token: anyone.token })).body.item.photos).toEqual(photos);
    const listed = await call<{ items: Item[] }>(server.app, "GET", "/api/items", { token: anyone.token });
    expect(listed.body.items.find((i) => i.id === created.body.item.id)?.photos).toEqual(photos);
    expect([await statusFor(server, front.url, anyone), await statusFor(server, back.thumbUrl, anyone)]).toEqual([200, 200]);
    expect(await statusFor(server, front.url, null)).toBe(401);
  });

  it("a listing shows only its seller's own uploads (400), and an edit replaces or removes its photos", async () => {
    const server = await start();
    const [seller, other] = [await register(server.app, "seller"), await register(server.app, "other")];
    const theirs = await uploaded(server.app, other, await plainImage("png"));
    const refused = await call<{ error: { message: string } }>(server.app, "POST", "/api/items", {
      token: seller.token,
      body: { title: "Bike", priceCents: 5000, mediaIds: [theirs.id] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain(theirs.id);
    expect((await call<{ items: Item[] }>(server.app, "GET", "/api/items", { token: other.token })).body.items).toEqual([]);

    const mine = await uploaded(server.app, seller, await plainImage("jpeg"));
    const item = (await call<{ item: Item }>(server.app, "POST", "/api/items", { token: seller.token, body: { title: "Bike", priceCents: 5000 } })).body.item;
    expect(item.photos).toBeUndefined();
    const patch = (mediaIds: string[]) => call<{ item: Item }>(server.app, "PATCH", `/api/items/${item.id}`, { token: seller.token, body: { mediaIds } });
    expect((await patch([theirs.id])).status).toBe(400);
    expect((await patch([mine.id])).body.item.photos?.map((p) => p.id)).toEqual([mine.id]);
    expect(await statusFor(server, mine.url, other)).toBe(200);
    expect((await patch([])).body.item.photos).toBeUndefined();
    // No longer a listing's photo: private to its uploader again.
    expect(await statusFor(server, mine.url, other)).toBe(404);
  });
});

describe("photo messages", () => {
  it("carry their photos in the send's answer, the members' entries, history and search (captions are searched)", async () => {
    const server = await start();
    const [alice, bob] = [await register(server.app, "alice"), await register(server.app, "bob")];
    const conv = await openDirect(server.app, alice, bob);
    const [one, two] = [await uploaded(server.app, alice, await plainImage("jpeg")), await uploaded(server.app, alice, await plainImage("png"))];
    const sent = await sendPhotos(server.app, alice, conv.conversationId, [two.id, one.id], "Both sides of the frame");
    expect(sent.status).toBe(201);
    const media = [two, one].map(({ bytes: _bytes, ...m }) => m);
    expect(sent.body.message).toMatchObject({ kind: "image", body: "Both sides of the frame", media });
    for (const s of [alice, bob]) {
      const entry = (await pullAll(server.app, s, "chat")).entries.find((e) => e.k === "msg");
      expect((entry?.data as { message: Message }).message.media).toEqual(media);
    }
    const history = await call<{ messages: Message[] }>(server.app, "GET", `/api/conversations/${conv.conversationId}/messages`, { token: bob.token });
    expect(history.body.messages.map((m) => m.media)).toEqual([media]);
    const found = await call<{ results: { message: Message }[] }>(server.app, "GET", "/api/search?q=frame", { token: bob.token });
    expect(found.body.results.map((r) => r.message.media)).toEqual([media]);
    const summary = await call<{ summary: Summary }>(server.app, "GET", `/api/conversations/${conv.conversationId}`, { token: bob.token });
    expect(summary.body.summary.lastMessage?.media).toEqual(media);
  });

  it("refuses photos that are not the sender's own uploads (400 naming one), and a photo message without photos", async () => {
    const server = await start();
    const [alice, bob] = [await register(server.app, "alice"), await register(server.app, "bob")];
    const conv = await openDirect(server.app, alice, bob);
    const bobs = await uploaded(server.app, bob, await plainImage("png"));
    const alices = await uploaded(server.app, alice, await plainImage("png"));
    const unknown = randomUUID();
    for (const ids of [[alices.id, bobs.id], [unknown]]) {
      const res = await sendPhotos(server.app, alice, conv.conversationId, ids);
      expect(res.status).toBe(400);
      expect((res.body as unknown as { error: { message: string } }).error.message).toContain(ids.at(-1));
    }
    const send = (body: object) =>
      call(server.app, "POST", "/api/messages", { token: alice.token, body: { clientMsgId: randomUUID(), conversationId: conv.conversationId, ...body } });
    expect((await send({ kind: "image" })).status).toBe(400);
    expect((await send({ kind: "image", mediaIds: [] })).status).toBe(400);
    expect((await send({ kind: "image", mediaIds: [alices.id, alices.id] })).status).toBe(400);
    expect((await send({ kind: "text", body: "hi", mediaIds: [alices.id] })).status).toBe(400);
    expect((await send({ kind: "image", mediaIds: Array.from({ length: 10 }, () => alices.id) })).status).toBe(400);
    // Nothing was sent, and Bob's photo stays his.
    expect((await pullAll(server.app, bob, "chat")).entries.some((e) => e.k === "msg")).toBe(false);
    expect(await statusFor(server, bobs.url, alice)).toBe(404);
  });

  it("a recall takes the photos out of the message everywhere and stops serving them to the other members", async () => {
    const server = await start();
    const [alice, bob] = [await register(server.app, "alice"), await register(server.app, "bob")];
    const conv = await openDirect(server.app, alice, bob);
    const photo = await uploaded(server.app, alice, await plainImage("jpeg"));
    const sent = (await sendPhotos(server.app, alice, conv.conversationId, [photo.id], "Rust on the chain")).body.message;
    expect(await statusFor(server, photo.url, bob)).toBe(200);
    const recalled = await call<{ message: Message }>(server.app, "POST", `/api/messages/${sent.id}/recall`, { token: alice.token });
    expect(recalled.status).toBe(200);
    expect(recalled.body.message).toMatchObject({ kind: "image", body: "", recalled: true });
    expect(recalled.body.message.media).toBeUndefined();
    expect([await statusFor(server, photo.url, bob), await statusFor(server, photo.thumbUrl, bob), await statusFor(server, photo.url, alice)]).toEqual([
      404, 404, 200,
    ]);
    const history = await call<{ messages: Message[] }>(server.app, "GET", `/api/conversations/${conv.conversationId}/messages`, { token: bob.token });
    expect(history.body.messages[0]?.media).toBeUndefined();
    const entry = (await pullAll(server.app, bob, "chat")).entries.find((e) => e.k === "msg");
    expect((entry?.data as { message: Message }).message.media).toBeUndefined();
    expect(JSON.stringify((await pullAll(server.app, bob, "chat")).entries)).not.toContain(photo.id);
    expect((await call<{ results: unknown[] }>(server.app, "GET", "/api/search?q=chain", { token: bob.token })).body.results).toEqual([]);
  });

  it("notify as [Photo] with the caption", () => {
    expect(messagePreview({ kind: "image", body: "" })).toBe("[Photo]");
    expect(messagePreview({ kind: "image", body: "Both sides" })).toBe("[Photo] Both sides");
    expect(messagePreview({ kind: "text", body: "hi" })).toBe("hi");
    expect(messagePreview({ kind: "system", body: "Alice bought it" })).toBeNull();
  });
});

describe("the database media store", () => {
  it("lets two processes on one database serve every photo, whichever took the upload (chunks of 256 KiB)", async () => {
    const media = (dir: string) => ({ ...DEFAULT_MEDIA_CONFIG, store: "database" as const, dir });
    // Folders that do not exist: the database store never uses one.
    const one = await start({ media: media("/nonexistent/courier-media-one") });
    // The second process: the same database (the PostgreSQL schema, or the SQLite file); no folder in common.
    const two = await startServer({ media: media("/nonexistent/courier-media-two"), dataDir: one.dir, databaseUrl: one.config.databaseUrl });
    try {
      const [alice, bob] = [await register(one.app, "alice"), await register(one.app, "bob")];
      const conv = await openDirect(one.app, alice, bob);
      // Noise does not compress: several chunks.
      const big = await uploaded(one.app, alice, await noisyJpeg(1200, 1000));
      expect(big.bytes).toBeGreaterThan(2 * 256 * 1024);
      expect((await sendPhotos(two.app, alice, conv.conversationId, [big.id])).status).toBe(201);
      const fromOne = await download(one.app, big.url, bob);
      const fromTwo = await download(two.app, big.url, bob);
      expect([fromOne.status, fromTwo.status]).toEqual([200, 200]);
      expect(fromTwo.bytes.equals(fromOne.bytes)).toBe(true);
      expect(fromTwo.bytes.length).toBe(big.bytes);
      const onTwo = await uploaded(two.app, bob, await plainImage("gif"));
      expect((await download(one.app, onTwo.thumbUrl, bob)).status).toBe(200);
    } finally {
      // Not dispose(): the data is the first server's to remove.
      await two.close();
    }
  });
});
