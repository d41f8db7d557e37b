import "fake-indexeddb/auto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CourierError, type Message, type SendRequest, type UploadedMedia } from "../../shared/protocol/index.js";
import { decide, NetworkError } from "../api/errors.js";
import { NOT_A_PHOTO, PHOTO_TOO_LARGE, readAnswer } from "../api/upload.js";
import { CourierDb } from "../db/database.js";
import { OutboxSender } from "./outbox-sender.js";
import { photosGoneMessage, type Uploader } from "./photo-upload.js";
import { useUploadProgress } from "./upload-progress.js";

/** Photo messages in the outbox (issue 14): uploaded once each, then sent with their ids. */
let db: CourierDb;

/** Lets IndexedDB (setImmediate) and promises run; no clock involved. */
async function settled(): Promise<void> {
  for (let i = 0; i < 80; i++) await new Promise((r) => setImmediate(r));
}

const photo = (label: string, size = 1000) => ({ blob: new Blob([label.padEnd(size, ".")], { type: "image/png" }), width: 40, height: 30 });

const media = (id: string): UploadedMedia => ({ id, mime: "image/jpeg", bytes: 900, width: 40, height: 30, url: `/api/media/${id}`, thumbUrl: `/api/media/${id}/thumb` });

const serverCopy = (req: SendRequest): Message => ({
  id: `m-${req.clientMsgId}`,
  conversationId: req.conversationId,
  seq: 1,
  senderId: "me",
  clientMsgId: req.clientMsgId,
  kind: req.kind,
  body: req.body,
  at: 1_000,
  ...(req.mediaIds ? { media: req.mediaIds.map((id) => media(id)) } : {}),
});

/**
 * A server whose link can go down, and which can refuse a photo. `uploads`
 * lists the photos that reached it (by their first letter), `sends` the sends.
 */
function fakeServer() {
  const state = { up: true, refuse: null as null | ((label: string) => Promise<UploadedMedia> | null), failAfter: Infinity };
  const uploads: string[] = [];
  const sends: SendRequest[] = [];
  const upload: Uploader = async (blob, { onProgress, signal }) => {
    const label = (await blob.text())[0]!;
    if (!state.up || signal.aborted) throw new NetworkError();
    const refused = state.refuse?.(label);
    if (refused) return refused;
    if (uploads.length >= state.failAfter) {
      state.up = false;
      throw new NetworkError();
    }
    onProgress(blob.size / 2, blob.size);
    onProgress(blob.size, blob.size);
    uploads.push(label);
    return media(`media-${label}`);
  };
  const send = async (req: SendRequest) => {
    if (!state.up) throw new NetworkError();
    sends.push(req);
    return serverCopy(req);
  };
  return { state, uploads, sends, upload, send };
}

beforeEach(async () => {
  db = new CourierDb(`outbox-photos-${crypto.randomUUID()}`);
  await db.open();
});
afterEach(async () => {
  await db.delete();
});

describe("photo messages in the outbox", () => {
  it("uploads each photo, then sends kind image with the ids in order and the caption; the Blobs leave with the row", async () => {
    const server = fakeServer();
    const seen: number[] = [];
    const unsubscribe = useUploadProgress.subscribe((s) => Object.values(s.byMessage).forEach((f) => seen.push(f)));
    const sender = new OutboxSender({ db, onReauth: () => {}, send: server.send, upload: server.upload });
    const row = await sender.send("c1", "Both sides", undefined, [photo("a"), photo("b")]);
    await settled();
    unsubscribe();
    sender.stop();
    expect(server.uploads).toEqual(["a", "b"]);
    expect(server.sends).toHaveLength(1);
    expect(server.sends[0]).toMatchObject({ clientMsgId: row.clientMsgId, kind: "image", body: "Both sides", mediaIds: ["media-a", "media-b"] });
    expect(await db.outbox.count()).toBe(0);
    expect(await db.outboxPhotos.count()).toBe(0);
    expect((await db.messages.get(`m-${row.clientMsgId}`))?.media?.map((m) => m.id)).toEqual(["media-a", "media-b"]);
    // Progress went up to the whole message, and nothing is left behind for the row.
    expect(seen.at(-1)).toBe(1);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(useUploadProgress.getState().byMessage[row.clientMsgId]).toBeUndefined();
  });

  it("offline, the message waits with its photos; after a failure mid-way it resumes and never uploads a photo twice, across a restart", async () => {
    const server = fakeServer();
    server.state.failAfter = 1; // the link drops after the first photo is up
    const first = new OutboxSender({ db, onReauth: () => {}, send: server.send, upload: server.upload });
    const row = await first.send("c1", "", undefined, [photo("a"), photo("b"), photo("c")]);
    await settled();
    first.stop();
    expect(server.uploads).toEqual(["a"]);
    expect(server.sends).toHaveLength(0);
    const waiting = await db.outbox.get(row.clientMsgId);
    expect(waiting?.status).toBe("sending");
    expect(waiting?.mediaIds).toEqual(["media-a"]);
    expect(await db.outboxPhotos.count()).toBe(3);

    // The tab closes; the app opens again with the link back.
    const before = db;
    before.close();
    db = new CourierDb(before.userId);
    await db.open();
    server.state.up = true;
    server.state.failAfter = Infinity;
    const second = new OutboxSender({ db, onReauth: () => {}, send: server.send, upload: server.upload });
    second.flush();
    await settled();
    second.stop();
    expect(server.uploads).toEqual(["a", "b", "c"]);
    expect(server.sends.map((s) => s.mediaIds)).toEqual([["media-a", "media-b", "media-c"]]);
    expect(await db.outbox.count()).toBe(0);
    expect(await db.outboxPhotos.count()).toBe(0);
  });

  it.each([
    [415, NOT_A_PHOTO],
    [413, PHOTO_TOO_LARGE],
  ])("a photo the server refuses (%i) fails the message with the reason, keeps it for Retry/Discard, and the queue goes on", async (status, reason) => {
    const server = fakeServer();
    server.state.refuse = (label) => (label === "x" ? readAnswer(status, JSON.stringify({ error: { code: "whatever", message: "raw" } }), null) : null);
    const sender = new OutboxSender({ db, onReauth: () => {}, send: server.send, upload: server.upload });
    const bad = await sender.send("c1", "", undefined, [photo("a"), photo("x")]);
    await sender.send("c1", "after it");
    await settled();
    const row = await db.outbox.get(bad.clientMsgId);
    expect(row?.status).toBe("failed");
    expect(row?.error).toBe(reason);
    expect(await db.outboxPhotos.where("clientMsgId").equals(bad.clientMsgId).count()).toBe(2);
    expect(server.sends.map((s) => s.body)).toEqual(["after it"]);

    // Retry with the same refusal: photo "a" is not uploaded again.
    await sender.retry(bad.clientMsgId);
    await settled();
    expect(server.uploads).toEqual(["a"]);
    expect((await db.outbox.get(bad.clientMsgId))?.status).toBe("failed");

    await sender.discard(bad.clientMsgId);
    expect(await db.outbox.count()).toBe(0);
    expect(await db.outboxPhotos.count()).toBe(0);
    sender.stop();
  });

  it("recalled while a photo is uploading: the upload is stopped, nothing is sent, the photos are dropped", async () => {
    const sends: SendRequest[] = [];
    let started!: () => void;
    const uploading = new Promise<void>((r) => (started = r));
    const upload: Uploader = (_blob, { signal }) =>
      new Promise((_resolve, reject) => {
        started();
        signal.addEventListener("abort", () => reject(new NetworkError("aborted")));
      });
    const sender = new OutboxSender({ db, onReauth: () => {}, upload, send: async (req) => (sends.push(req), serverCopy(req)) });
    const row = await sender.send("c1", "", undefined, [photo("a")]);
    await uploading;
    expect(await sender.cancel(row.clientMsgId)).toBeNull();
    await settled();
    sender.stop();
    expect(sends).toEqual([]);
    expect(await db.outbox.count()).toBe(0);
    expect(await db.outboxPhotos.count()).toBe(0);
  });

  /** A photo message queued while the link is down. */
  async function queuedOffline() {
    const server = fakeServer();
    server.state.up = false;
    const sender = new OutboxSender({ db, onReauth: () => {}, send: server.send, upload: server.upload });
    const row = await sender.send("c1", "", undefined, [photo("a")]);
    await settled();
    return { server, sender, row };
  }

  it("photos whose message left the outbox through sync are swept at the next flush", async () => {
    const { sender, row } = await queuedOffline();
    // The copy came by sync (consumers.ts drops the row, as a snapshot does).
    await db.outbox.delete(row.clientMsgId);
    expect(await db.outboxPhotos.count()).toBe(1);
    sender.flush();
    await settled();
    sender.stop();
    expect(await db.outboxPhotos.count()).toBe(0);
  });

  it("a photo message whose photos are gone fails with that reason instead of waiting forever", async () => {
    const { server, sender, row } = await queuedOffline();
    await db.outboxPhotos.clear();
    server.state.up = true;
    sender.flush();
    await settled();
    sender.stop();
    expect((await db.outbox.get(row.clientMsgId))?.error).toBe(photosGoneMessage());
  });
});

describe("readAnswer (POST /api/media)", () => {
  it("reads the media of a 201", async () => {
    await expect(readAnswer(201, JSON.stringify({ media: media("m1") }), null)).resolves.toMatchObject({ id: "m1", thumbUrl: "/api/media/m1/thumb" });
  });

  it("415 and 413 are refusals for good; 429 and 503 are retried after the server's delay; a 401 asks to sign in again", async () => {
    const fails = (status: number, retryAfter: string | null = null, onUnauthorized: (() => void) | null = null) =>
      readAnswer(status, JSON.stringify({ error: { code: "x", message: "m" } }), retryAfter, onUnauthorized).then(
        () => {
          throw new Error("resolved");
        },
        (error: unknown) => error as CourierError,
      );
    expect(decide(await fails(415))).toBe("give_up");
    expect(decide(await fails(413))).toBe("give_up");
    const limited = await fails(429, "3");
    expect([decide(limited), limited.retryAfterMs]).toEqual(["retry", 3000]);
    expect(decide(await fails(503))).toBe("retry");
    let asked = 0;
    expect(decide(await fails(401, null, () => asked++))).toBe("reauth");
    expect(asked).toBe(1);
  });

  it("an unreadable 2xx (a proxy's page) is retried, not taken as a photo", async () => {
    await expect(readAnswer(200, "<html>", null)).rejects.toBeInstanceOf(NetworkError);
    await expect(readAnswer(201, JSON.stringify({ media: { id: "m1" } }), null)).rejects.toBeInstanceOf(CourierError);
  });
});
