import { readChoice, writeChoice } from "../lib/stored-choice.js";

/**
 * Which language Courier speaks (issue 17): English or Simplified Chinese.
 * The person's choice is remembered per browser; "system" (the default)
 * follows the browser's own list of languages, first supported one wins.
 */
export const LANGUAGES = ["en", "zh"] as const;
export type Language = (typeof LANGUAGES)[number];
export type LanguageChoice = Language | "system";

export const LANGUAGE_KEY = "courier.language";

/** The first language of the browser's list that Courier speaks; English when none is. */
export function browserLanguage(tags: readonly string[]): Language {
  for (const tag of tags) {
    const lower = tag.toLowerCase();
    // Every Chinese variant gets Simplified Chinese: closer than English for zh-TW and zh-HK readers too.
    if (lower === "zh" || lower.startsWith("zh-")) return "zh";
    if (lower === "en" || lower.startsWith("en-")) return "en";
  }
  return "en";
}

export function browserTags(): readonly string[] {
  if (typeof navigator === "undefined") return [];
  return navigator.languages?.length ? navigator.languages : navigator.language ? [navigator.language] : [];
}

export function savedLanguageChoice(): LanguageChoice {
  return readChoice<LanguageChoice>(LANGUAGE_KEY, LANGUAGES, "system");
}

export function saveLanguageChoice(choice: LanguageChoice): void {
  writeChoice<LanguageChoice>(LANGUAGE_KEY, choice, "system");
}

export function resolveLanguage(choice: LanguageChoice, tags: readonly string[]): Language {
  return choice === "system" ? browserLanguage(tags) : choice;
}

/**
 * The BCP 47 tag Intl formats with. English keeps the browser's region when it
 * has one (en-GB reads 17:05 and 12 March; en-US 5:05 PM and March 12);
 * Chinese is zh-CN, the script the text is written in.
 */
export function intlLocale(language: Language, tags: readonly string[]): string {
  if (language === "zh") return "zh-CN";
  return tags.find((tag) => /^en-/i.test(tag)) ?? "en-US";
}

/** The tag for <html lang>: screen readers pick their voice from it. */
export function htmlLang(language: Language): string {
  return language === "zh" ? "zh-CN" : "en";
}
