import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { Item } from "../../shared/protocol/index.js";
import { ME, PEER, summary } from "../db/test-fixtures.js";
import { ConversationAvatar } from "./avatar.js";
import { avatarColor } from "./avatar-color.js";

const render = (s: ReturnType<typeof summary>, listing?: boolean) => renderToStaticMarkup(createElement(ConversationAvatar, { summary: s, me: ME, ...(listing === undefined ? {} : { listing }) }));

const bike: Item = { id: "i1", sellerId: PEER, title: "Blue bike", priceCents: 5000, description: "", status: "listed", at: 1 };
const photo = { id: "m1", mime: "image/webp", width: 800, height: 600, url: "/api/media/m1", thumbUrl: "/api/media/m1/thumb" };
const itemChat = (item: Item) => summary("c1", { conversation: { id: "c1", type: "item", memberIds: [ME, PEER], lastSeq: 0, at: 1, itemId: item.id }, item });

describe("ConversationAvatar", () => {
  it("shows the other person of a direct chat in their own colour, with their initials", () => {
    const html = render(summary("d1"));
    expect(html).toContain(`data-colour="${avatarColor(PEER)}"`);
    expect(html).toContain(">PE</span>");
  });

  it("shows an item chat as the listing's first photo, the other person small in its corner", () => {
    const html = render(itemChat({ ...bike, photos: [photo, { ...photo, id: "m2", thumbUrl: "/api/media/m2/thumb" }] }));
    expect(html).toContain('src="/api/media/m1/thumb"');
    expect(html).not.toContain("m2/thumb");
    expect(html).toContain(`data-colour="${avatarColor(PEER)}"`);
  });

  it("shows an item chat without a photo as an item icon, not the listing's initials", () => {
    const html = render(itemChat(bike));
    expect(html).toContain('class="item-icon"');
    expect(html).not.toContain("<img");
    expect(html).not.toContain(">BB<");
  });

  it("shows the person, not the listing, where the listing is beside it (the chat's header)", () => {
    const html = render(itemChat({ ...bike, photos: [photo] }), false);
    expect(html).not.toContain("<img");
    expect(html).toContain(`data-colour="${avatarColor(PEER)}"`);
  });

  it("keeps the group avatar for a group", () => {
    const html = render(summary("g1", { conversation: { id: "g1", type: "group", memberIds: [ME, PEER], lastSeq: 0, at: 1, title: "Hikers" } }));
    expect(html).toContain("type-group");
    expect(html).not.toContain("data-colour");
  });
});
