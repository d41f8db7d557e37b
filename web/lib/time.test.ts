import { afterEach, describe, expect, it } from "vitest";
import { i18n } from "../i18n/index.js";
import { clockTime, dayLabel, relativeTime } from "./time.js";

// Local time, so the assertions hold in every time zone the tests run in.
const at = (h: number, m: number, day = 4) => new Date(2026, 11, day, h, m).getTime();
// ICU versions differ on the space before AM/PM (U+0020 or U+202F): compare words, not spaces.
const clock = (ms: number, locale: string) => clockTime(ms, locale).replace(/\s/gu, " ");

describe("time, in the app's language", () => {
  afterEach(() => i18n.changeLanguage("en"));

  it("writes clock times as the locale does, with no leading zero on a 12-hour clock", () => {
    expect(clock(at(17, 42), "en-US")).toBe("5:42 PM");
    expect(clock(at(9, 36), "en-US")).toBe("9:36 AM");
    expect(clock(at(9, 36), "en-GB")).toBe("09:36");
    expect(clock(at(17, 42), "zh-CN")).toBe("17:42");
    expect(clock(at(9, 36), "zh-CN")).toBe("09:36");
  });

  it("says now, minutes, yesterday and today in English and Chinese", async () => {
    const now = at(18, 0);
    expect(relativeTime(now - 10_000, now, "en-US")).toBe("now");
    expect(relativeTime(now - 5 * 60_000, now, "en-US")).toBe("5 min");
    expect(relativeTime(at(10, 0, 3), now, "en-US")).toBe("Yesterday");
    expect(dayLabel(at(8, 0), now, "en-US")).toBe("Today");
    await i18n.changeLanguage("zh");
    expect(relativeTime(now - 10_000, now, "zh-CN")).toBe("刚刚");
    expect(relativeTime(now - 5 * 60_000, now, "zh-CN")).toBe("5 分钟前");
    expect(relativeTime(at(10, 0, 3), now, "zh-CN")).toBe("昨天");
    expect(dayLabel(at(8, 0), now, "zh-CN")).toBe("今天");
    expect(dayLabel(at(8, 0, 1), now, "zh-CN")).toBe("12月1日星期二");
  });
});
