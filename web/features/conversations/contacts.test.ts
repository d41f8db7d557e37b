import { afterEach, describe, expect, it } from "vitest";
import { ME, PEER, summary } from "../../db/test-fixtures.js";
import { contactRemarks, displayNameFor, useContacts } from "./contacts.js";
import { conversationTitle, memberName, notifyHeadline } from "./summary-text.js";

const direct = summary("d1", { remark: " Peer from the choir " });
const group = summary("g1", {
  conversation: { id: "g1", type: "group", memberIds: [ME, PEER], lastSeq: 0, at: 1_000, title: "Choir" },
});

afterEach(() => useContacts.getState().setRemarks(new Map()));

describe("remarks", () => {
  it("a conversation's remark is its name, before the group's title or the person's name", () => {
    expect(conversationTitle(direct, ME)).toBe("Peer from the choir");
    expect(conversationTitle({ ...group, remark: "Sunday choir" }, ME)).toBe("Sunday choir");
    expect(conversationTitle(group, ME)).toBe("Choir");
    expect(conversationTitle(summary("d2"), ME)).toBe("Peer");
  });

  it("a contact's remark is the remark of my direct chat with them; groups' and item chats' remarks are not", () => {
    const item = summary("i1", { remark: "Lamp deal", conversation: { id: "i1", type: "item", memberIds: [ME, PEER], lastSeq: 0, at: 1 } });
    expect(contactRemarks([direct, { ...group, remark: "Sunday" }, item], ME)).toEqual(new Map([[PEER, "Peer from the choir"]]));
    expect(contactRemarks([summary("d3", { remark: "   " })], ME)).toEqual(new Map());
  });

  it("shows a contact's remark wherever their name appears: group members, senders, headlines, other chats' titles", () => {
    const peer = { id: PEER, username: "peer", displayName: "Peer" };
    expect(displayNameFor(peer)).toBe("Peer");
    useContacts.getState().setRemarks(contactRemarks([direct], ME));
    expect(displayNameFor(peer)).toBe("Peer from the choir");
    expect(memberName(group, PEER)).toBe("Peer from the choir");
    expect(memberName(group, ME)).toBe("Me");
    expect(notifyHeadline(summary("d2"), ME)).toBe("Get notified when Peer from the choir writes");
    expect(conversationTitle(summary("i2", { conversation: { id: "i2", type: "item", memberIds: [ME, PEER], lastSeq: 0, at: 1 } }), ME)).toBe("Peer from the choir");
  });

  it("keeps the same map while nothing changed, so names are not drawn again for nothing", () => {
    useContacts.getState().setRemarks(contactRemarks([direct], ME));
    const first = useContacts.getState().remarks;
    useContacts.getState().setRemarks(contactRemarks([direct], ME));
    expect(useContacts.getState().remarks).toBe(first);
  });
});
