import { describe, expect, it } from "vitest";
import { i18n } from "../../i18n/index.js";
import { presenceText } from "./last-seen.js";

describe("the presence line", () => {
  const now = new Date(2026, 11, 4, 15, 30).getTime();
  const at = (d: number, h: number, m: number) => new Date(2026, 11, d, h, m).getTime();
  it("says Online, or when they were last seen, or nothing when it is not known", () => {
    expect(presenceText({ online: true, lastSeenAt: at(1, 9, 0) }, now)).toBe("Online");
    expect(presenceText({ online: false, lastSeenAt: now - 20_000 }, now)).toBe("Last seen just now");
    expect(presenceText({ online: false, lastSeenAt: now - 5 * 60_000 }, now)).toBe("Last seen 5 min ago");
    expect(presenceText({ online: false, lastSeenAt: at(4, 14, 2) }, now, "en-GB")).toBe("Last seen today at 14:02");
    expect(presenceText({ online: false, lastSeenAt: at(3, 14, 2) }, now, "en-GB")).toBe("Last seen yesterday at 14:02");
    expect(presenceText({ online: false, lastSeenAt: at(1, 14, 2) }, now, "en-GB")).toBe("Last seen 1 Dec");
    expect(presenceText({ online: null, lastSeenAt: null }, now)).toBeNull();
    expect(presenceText({ online: false, lastSeenAt: null }, now)).toBeNull();
    expect(presenceText(null, now)).toBeNull();
  });

  it("says it in Chinese, with the time and date as Chinese writes them", async () => {
    await i18n.changeLanguage("zh");
    try {
      expect(presenceText({ online: true, lastSeenAt: null }, now)).toBe("在线");
      expect(presenceText({ online: false, lastSeenAt: now - 5 * 60_000 }, now)).toBe("5 分钟前在线");
      expect(presenceText({ online: false, lastSeenAt: at(4, 14, 2) }, now)).toBe("今天 14:02 在线");
      expect(presenceText({ online: false, lastSeenAt: at(3, 14, 2) }, now)).toBe("昨天 14:02 在线");
      expect(presenceText({ online: false, lastSeenAt: at(1, 14, 2) }, now)).toBe("12月1日 在线");
    } finally {
      await i18n.changeLanguage("en");
    }
  });
});
