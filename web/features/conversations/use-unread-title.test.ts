import { describe, expect, it } from "vitest";
import { badgeIcon, totalUnread, unreadTitle } from "./use-unread-title.js";

describe("unread title", () => {
  it("shows the count in front of the app name", () => {
    expect(unreadTitle(0)).toBe("Courier");
    expect(unreadTitle(3)).toBe("(3) Courier");
    expect(unreadTitle(120)).toBe("(120) Courier");
  });

  it("adds up unread messages of conversations that are not muted", () => {
    expect(totalUnread([])).toBe(0);
    expect(
      totalUnread([
        { unread: 2, muted: false },
        { unread: 5, muted: true },
        { unread: 1, muted: false },
      ]),
    ).toBe(3);
  });

  it("leaves group requests and groups I am no longer in out of the count", () => {
    expect(
      totalUnread([
        { unread: 2, muted: false, membership: "member" },
        { unread: 7, muted: false, membership: "request" },
        { unread: 4, muted: false, membership: "left" },
        { unread: 1, muted: false },
      ]),
    ).toBe(3);
  });

  it("counts a conversation I marked unread as one, and leaves archived ones out", () => {
    expect(
      totalUnread([
        { unread: 0, muted: false, markedUnread: true },
        { unread: 3, muted: false, markedUnread: true },
        { unread: 0, muted: true, markedUnread: true },
        { unread: 5, muted: false, archived: true },
        { unread: 0, muted: false, archived: true, markedUnread: true },
      ]),
    ).toBe(4);
  });

  it("badges the tab icon with the count, capped at 99+", () => {
    const svg = (count: number) => decodeURIComponent(badgeIcon(count).replace(/^data:image\/svg\+xml,/, ""));
    expect(svg(0)).not.toContain("<circle");
    expect(svg(3)).toContain(">3</text>");
    expect(svg(42)).toContain(">42</text>");
    expect(svg(1000)).toContain(">99+</text>");
  });
});
