import i18next from "i18next";
import { useSyncExternalStore } from "react";
import { initReactI18next } from "react-i18next";
import { browserTags, htmlLang, intlLocale, LANGUAGE_KEY, type Language, type LanguageChoice, resolveLanguage, saveLanguageChoice, savedLanguageChoice } from "./language.js";
import { en } from "./locales/en/index.js";
import { zh } from "./locales/zh/index.js";

/**
 * Courier's words in English and Simplified Chinese (issue 17; the choice of
 * i18next is explained in docs/i18n.md). Both catalogs are in the bundle
 * (together a few KB gzipped): the app opens from local data with no request
 * first, offline too, so the words cannot wait for one.
 *
 * Components use `useTranslation()` from react-i18next and re-render when the
 * language changes; plain modules (summaries, system lines, errors) call `t`.
 */
let choice: LanguageChoice = savedLanguageChoice();

void i18next.use(initReactI18next).init({
  resources: { en: { translation: en }, zh: { translation: zh } },
  lng: resolveLanguage(choice, browserTags()),
  fallbackLng: "en",
  supportedLngs: ["en", "zh"],
  // Synchronous: the resources are in memory, and the first paint must already be in the right language.
  initAsync: false,
  // React escapes what it renders; message text is never turned into HTML anywhere.
  interpolation: { escapeValue: false },
  returnNull: false,
});
applyToDocument();

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
  void i18next.changeLanguage(resolveLanguage(next, browserTags()));
}

i18next.on("languageChanged", () => {
  applyToDocument();
  for (const listener of listeners) listener();
});

// Another tab chose, or the browser's languages changed: follow.
if (typeof window !== "undefined") {
  window.addEventListener("storage", (e) => {
    if (e.key !== null && e.key !== LANGUAGE_KEY) return;
    choice = savedLanguageChoice();
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
