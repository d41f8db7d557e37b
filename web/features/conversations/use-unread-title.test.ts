import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { badgeIcon, TabBadge, totalUnread, unreadTitle, VISIBLE_RISE_DELAY_MS } from "./use-unread-title.js";

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

describe("the tab's badge (TabBadge)", () => {
  const badge = () => {
    const painted: number[] = [];
    return { painted, tab: new TabBadge((count) => painted.push(count)) };
  };
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("never blinks for a message read where it lands: on screen, a count that falls back within the delay is not shown", () => {
    const { painted, tab } = badge();
    tab.show(0, true);
    for (let i = 0; i < 5; i++) {
      tab.show(1, true);
      vi.advanceTimersByTime(30);
      tab.show(0, true);
    }
    vi.advanceTimersByTime(VISIBLE_RISE_DELAY_MS * 2);
    expect(painted).toEqual([0]);
  });

  it("on screen, shows a higher count that stays once the delay is over", () => {
    const { painted, tab } = badge();
    tab.show(2, true);
    tab.show(3, true);
    vi.advanceTimersByTime(VISIBLE_RISE_DELAY_MS - 1);
    expect(painted).toEqual([2]);
    vi.advanceTimersByTime(1);
    expect(painted).toEqual([2, 3]);
  });

  it("keeps the first rise's deadline while messages read as they land come and go, and shows the count as it is then", () => {
    const { painted, tab } = badge();
    tab.show(0, true);
    tab.show(1, true); // another conversation: unread, and stays so
    for (let i = 0; i < 4; i++) {
      vi.advanceTimersByTime(200);
      tab.show(2, true); // a message into the open one…
      vi.advanceTimersByTime(30);
      tab.show(1, true); // …read as it lands
    }
    expect(painted).toEqual([0]);
    vi.advanceTimersByTime(VISIBLE_RISE_DELAY_MS - 4 * 230);
    expect(painted).toEqual([0, 1]);
  });

  it("shows at once what falls, and everything while the page is hidden, also a rise that was waiting", () => {
    const { painted, tab } = badge();
    tab.show(3, true);
    tab.show(1, true);
    tab.show(4, false);
    tab.show(6, true);
    tab.show(6, false);
    vi.advanceTimersByTime(VISIBLE_RISE_DELAY_MS * 2);
    expect(painted).toEqual([3, 1, 4, 6]);
  });

  it("goes back to plain when cleared, and a rise that was waiting never shows", () => {
    const { painted, tab } = badge();
    tab.show(1, true);
    tab.show(5, true);
    tab.clear();
    vi.advanceTimersByTime(VISIBLE_RISE_DELAY_MS * 2);
    expect(painted).toEqual([1, 0]);
  });
});
