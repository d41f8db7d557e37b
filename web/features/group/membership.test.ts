import { describe, expect, it } from "vitest";
import type { RosterEntry } from "../../../shared/protocol/index.js";
import { memberCountText } from "./membership.js";

const group = (roster: RosterEntry[]) => ({ conversation: { id: "g", type: "group" as const, memberIds: roster.map((r) => r.userId), lastSeq: 0, at: 0 }, roster });
const entry = (userId: string, pending = false): RosterEntry => ({ userId, role: "member", pending });

describe("a group's member count", () => {
  it("says member for one and members for more", () => {
    expect(memberCountText(group([entry("a")]))).toBe("1 member");
    expect(memberCountText(group([entry("a"), entry("b")]))).toBe("2 members");
  });

  it("counts open requests apart: they are not members yet", () => {
    expect(memberCountText(group([entry("a"), entry("b"), entry("c"), entry("d", true)]))).toBe("3 members · 1 invited");
    expect(memberCountText(group([entry("a"), entry("d", true), entry("e", true)]))).toBe("1 member · 2 invited");
  });
});
