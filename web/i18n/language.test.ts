import { describe, expect, it } from "vitest";
import { browserLanguage, intlLocale, resolveLanguage } from "./language.js";

describe("language", () => {
  it("takes the first language of the browser's list that Courier speaks", () => {
    expect(browserLanguage(["zh-CN", "en-US"])).toBe("zh");
    expect(browserLanguage(["fr-FR", "zh-TW", "en"])).toBe("zh");
    expect(browserLanguage(["fr-FR", "en-GB", "zh"])).toBe("en");
    expect(browserLanguage(["de", "fr"])).toBe("en");
    expect(browserLanguage([])).toBe("en");
    // "zhx" is not Chinese.
    expect(browserLanguage(["zhx", "en"])).toBe("en");
  });

  it("lets the person's choice win over the browser", () => {
    expect(resolveLanguage("en", ["zh-CN"])).toBe("en");
    expect(resolveLanguage("zh", ["en-US"])).toBe("zh");
    expect(resolveLanguage("system", ["zh-CN"])).toBe("zh");
  });

  it("formats English in the browser's region and Chinese as zh-CN", () => {
    expect(intlLocale("en", ["zh-CN", "en-GB"])).toBe("en-GB");
    expect(intlLocale("en", ["fr"])).toBe("en-US");
    expect(intlLocale("zh", ["zh-TW"])).toBe("zh-CN");
  });
});
