import { describe, expect, it } from "vitest";
import { ME, message, PEER, summary } from "../../db/test-fixtures.js";
import { messagePreview, pendingPreview, previewString } from "../conversations/summary-text.js";
import { canRecall } from "../conversation/message-actions.js";

const photo = { id: "p1", mime: "image/jpeg", width: 640, height: 480, url: "/api/media/p1", thumbUrl: "/api/media/p1/thumb" };

describe("a photo message in the conversation list", () => {
  it("shows [Photo], with its caption on one line, never the photo's address", () => {
    const chat = summary("d1");
    expect(messagePreview(message("d1", 1, { kind: "image", body: "", media: [photo] }), chat, ME)).toBe("[Photo]");
    expect(messagePreview(message("d1", 2, { kind: "image", body: "Both\nsides", media: [photo], senderId: ME }), chat, ME)).toBe("You: [Photo] Both sides");
    expect(messagePreview(message("d1", 3, { kind: "image", body: "", media: [photo], senderId: PEER, recalled: true }), chat, ME)).toBe("Message recalled");
  });

  it("shows [Photo] for one still in the outbox", () => {
    expect(previewString(pendingPreview({ kind: "image", body: "", status: "sending" }))).toBe("You: [Photo] · Sending");
    expect(previewString(pendingPreview({ kind: "image", body: "Look", status: "failed" }))).toBe("You: [Photo] Look · Not sent");
  });
});

describe("recalling a photo message", () => {
  it("is offered to its sender within the window, as for text", () => {
    const sent = message("d1", 4, { kind: "image", body: "", media: [photo], senderId: ME, at: 10_000 });
    expect(canRecall(sent, ME, 10_001, 120_000)).toBe(true);
    expect(canRecall(sent, PEER, 10_001, 120_000)).toBe(false);
    expect(canRecall(sent, ME, 10_000 + 120_000, 120_000)).toBe(false);
  });
});
