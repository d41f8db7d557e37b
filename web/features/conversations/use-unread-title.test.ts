import { describe, expect, it } from "vitest";
import { totalUnread, unreadTitle } from "./use-unread-title.js";

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
});
