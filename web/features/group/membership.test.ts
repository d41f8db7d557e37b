import { describe, expect, it } from "vitest";
import type { RosterEntry } from "../../../shared/protocol/index.js";
import { i18n } from "../../i18n/index.js";
import { goneText, memberCountText, sharesWith } from "./membership.js";

const group = (roster: RosterEntry[]) => ({ conversation: { id: "g", type: "group" as const, memberIds: roster.map((r) => r.userId), lastSeq: 0, at: 0 }, lastMessage: null, roster });
const entry = (userId: string, pending = false): RosterEntry => ({ userId, role: "member", pending });

describe("whose presence a conversation lets me see (the server's rule)", () => {
  const direct = (lastSeq: number) => ({ conversation: { id: "d", type: "direct" as const, memberIds: ["me", "b"], lastSeq, at: 0 }, lastMessage: null });
  it("a group with both of us in it, at once; an open request on either side, not", () => {
    expect(sharesWith(group([entry("me"), entry("b")]), "b")).toBe(true);
    expect(sharesWith(group([entry("me"), entry("b", true)]), "b")).toBe(false);
    expect(sharesWith({ ...group([entry("me", true), entry("b")]), membership: "request" as const }, "b")).toBe(false);
    expect(sharesWith({ ...group([entry("me"), entry("b")]), membership: "left" as const }, "b")).toBe(false);
    expect(sharesWith(group([entry("me"), entry("b")]), "c")).toBe(false);
  });

  it("a direct or item chat once it has a message: until then it is its opener's alone", () => {
    expect(sharesWith(direct(0), "b")).toBe(false);
    expect(sharesWith(direct(1), "b")).toBe(true);
  });
});

describe("a group's member count", () => {
  it("says member for one and members for more", () => {
    expect(memberCountText(group([entry("a")]))).toBe("1 member");
    expect(memberCountText(group([entry("a"), entry("b")]))).toBe("2 members");
  });

  it("counts open requests apart: they are not members yet", () => {
    expect(memberCountText(group([entry("a"), entry("b"), entry("c"), entry("d", true)]))).toBe("3 members · 1 invited");
    expect(memberCountText(group([entry("a"), entry("d", true), entry("e", true)]))).toBe("1 member · 2 invited");
  });

  it("speaks Chinese too (one form for every count)", async () => {
    await i18n.changeLanguage("zh");
    try {
      expect(memberCountText(group([entry("a")]))).toBe("1 位成员");
      expect(memberCountText(group([entry("a"), entry("b"), entry("d", true)]))).toBe("2 位成员 · 已邀请 1 人");
      expect(goneText({ membership: "removed" })).toBe("你已被移出这个群聊。");
    } finally {
      await i18n.changeLanguage("en");
    }
  });
});
