import { afterAll, describe, expect, it, vi } from "vitest";

// localStorage, as a browser has it: the language choice is kept there.
const stored = new Map<string, string>();
vi.stubGlobal("localStorage", {
  getItem: (key: string) => stored.get(key) ?? null,
  setItem: (key: string, value: string) => void stored.set(key, value),
  removeItem: (key: string) => void stored.delete(key),
});
const { chooseLanguage, i18n, languageChoice, t, whenLanguageReady } = await import("./index.js");
const { en } = await import("./locales/en/index.js");
const { zh } = await import("./locales/zh/index.js");

afterAll(() => {
  vi.unstubAllGlobals();
});

describe("the catalogs (issue 16: only the language in use is loaded at startup)", () => {
  it("starts in English with only the English catalog, ready at once", () => {
    expect(i18n.language).toBe("en");
    expect(i18n.hasResourceBundle("en", "translation")).toBe(true);
    expect(i18n.hasResourceBundle("zh", "translation")).toBe(false);
    let ran = false;
    whenLanguageReady(() => (ran = true));
    expect(ran).toBe(true);
  });

  it("choosing Chinese shows the choice at once, then the Chinese words once the catalog has loaded; back to English", async () => {
    const changed = new Promise<string>((resolve) => i18n.on("languageChanged", resolve));
    chooseLanguage("zh");
    expect(languageChoice()).toBe("zh");
    expect(stored.get("courier.language")).toBe("zh");
    expect(await changed).toBe("zh");
    expect(i18n.hasResourceBundle("zh", "translation")).toBe(true);
    expect(t("language.heading")).toBe(zh.language.heading);

    chooseLanguage("en");
    await vi.waitFor(() => expect(t("language.heading")).toBe(en.language.heading));
    expect(languageChoice()).toBe("en");
  });
});
