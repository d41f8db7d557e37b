import i18next, { type BackendModule, type ResourceKey } from "i18next";
import { useSyncExternalStore } from "react";
import { initReactI18next } from "react-i18next";
import { browserTags, htmlLang, intlLocale, LANGUAGE_KEY, type Language, type LanguageChoice, resolveLanguage, saveLanguageChoice, savedLanguageChoice } from "./language.js";
import { en } from "./locales/en/index.js";

/**
 * Courier's words in English and Simplified Chinese (issue 17; the choice of
 * i18next is explained in docs/i18n.md). English, the fallback, is in the
 * main bundle; Chinese is a chunk of its own, loaded with `import()` only when
 * it is the language in use (issue 16: a cold start compiles and keeps one
 * catalog, not two). The app opens from local data with no request first,
 * offline too, so the Chinese chunk is one the page names (a prefetch link
 * vite.config.ts adds to index.html): the service worker keeps it with the
 * shell, and it comes from there in a few milliseconds.
 *
 * A start in Chinese waits for that chunk before the first render (main.tsx,
 * `whenLanguageReady`), so the first paint is already in Chinese; switching in
 * Settings changes the words once it has loaded (i18next's changeLanguage
 * waits for the catalog), the choice itself shows at once.
 *
 * Components use `useTranslation()` from react-i18next and re-render when the
 * language changes; plain modules (summaries, system lines, errors) call `t`.
 */
let choice: LanguageChoice = savedLanguageChoice();

/** Loads a catalog that is not in the main bundle (Chinese) when i18next first needs it. */
const lazyCatalogs: BackendModule = {
  type: "backend",
  init() {},
  read(lng, _namespace, callback) {
    if (lng !== "zh") return callback(null, lng === "en" ? (en as unknown as ResourceKey) : {});
    import("./locales/zh/index.js").then(
      ({ zh }) => callback(null, zh as unknown as ResourceKey),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), false),
    );
  },
};

void i18next
  .use(lazyCatalogs)
  .use(initReactI18next)
  .init({
    resources: { en: { translation: en } },
    // The other catalog comes through lazyCatalogs when its language is chosen.
    partialBundledLanguages: true,
    lng: resolveLanguage(choice, browserTags()),
    fallbackLng: "en",
    supportedLngs: ["en", "zh"],
    // Synchronous for English (its catalog is in memory): the first paint must already be in the right language.
    initAsync: false,
    // React escapes what it renders; message text is never turned into HTML anywhere.
    interpolation: { escapeValue: false },
    returnNull: false,
    // The default, said out loud: then i18next skips its test of each key for "natural language" (a regular
    // expression built per call), 10-20 % of a t() call; our keys are paths and have no ':' (docs/benchmarks.md, I18NKEY).
    keySeparator: ".",
  });
applyToDocument();

/**
 * Runs `callback` once the language in use has its catalog: at once for
 * English (in the bundle), after the chunk has loaded for Chinese.
 */
export function whenLanguageReady(callback: () => void): void {
  if (i18next.isInitialized) return callback();
  const once = () => {
    i18next.off("initialized", once);
    callback();
  };
  i18next.on("initialized", once);
}

export const i18n = i18next;
export const t = i18next.t.bind(i18next);

export function language(): Language {
  return i18next.language === "zh" ? "zh" : "en";
}

/** The locale Intl formats with (dates, times, numbers, prices, lists). */
export function locale(): string {
  return intlLocale(language(), browserTags());
}

const listeners = new Set<() => void>();

export function languageChoice(): LanguageChoice {
  return choice;
}

export function chooseLanguage(next: LanguageChoice): void {
  choice = next;
  saveLanguageChoice(next);
  // The choice shows at once (Settings' radio); the words follow when the catalog is there.
  notify();
  void i18next.changeLanguage(resolveLanguage(next, browserTags()));
}

function notify(): void {
  for (const listener of listeners) listener();
}

i18next.on("languageChanged", () => {
  applyToDocument();
  notify();
});

// Another tab chose, or the browser's languages changed: follow.
if (typeof window !== "undefined") {
  window.addEventListener("storage", (e) => {
    if (e.key !== null && e.key !== LANGUAGE_KEY) return;
    choice = savedLanguageChoice();
    notify();
    void i18next.changeLanguage(resolveLanguage(choice, browserTags()));
  });
  window.addEventListener("languagechange", () => {
    if (choice === "system") void i18next.changeLanguage(resolveLanguage(choice, browserTags()));
  });
}

function applyToDocument(): void {
  if (typeof document === "undefined") return;
  document.documentElement.lang = htmlLang(language());
}

/** The language in use; a component that formats with `locale()` re-renders when it changes. */
export function useLanguage(): Language {
  return useSyncExternalStore(subscribe, language, language);
}

export function useLanguageChoice(): LanguageChoice {
  return useSyncExternalStore(subscribe, languageChoice, languageChoice);
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
