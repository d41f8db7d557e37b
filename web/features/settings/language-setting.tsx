import { useTranslation } from "react-i18next";
import { chooseLanguage, useLanguageChoice } from "../../i18n/index.js";
import { browserLanguage, browserTags, type LanguageChoice } from "../../i18n/language.js";

/** Settings → Language: English, Simplified Chinese, or whatever this browser prefers (the default). */
export function LanguageSetting() {
  const { t } = useTranslation();
  const choice = useLanguageChoice();
  const options: readonly { value: LanguageChoice; label: string }[] = [
    { value: "system", label: t("language.system", { language: t(`language.names.${browserLanguage(browserTags())}`) }) },
    { value: "en", label: t("language.names.en") },
    { value: "zh", label: t("language.names.zh") },
  ];
  return (
    <section className="settings-section" aria-labelledby="settings-language">
      <h3 id="settings-language">{t("language.heading")}</h3>
      <fieldset className="choice-group" aria-labelledby="settings-language">
        {options.map((option) => (
          <label key={option.value} className="choice-option">
            <input
              type="radio"
              name="courier-language"
              value={option.value}
              checked={choice === option.value}
              onChange={() => chooseLanguage(option.value)}
            />
            {/* Each language's name in its own language: lang lets a screen reader say it right. */}
            <span lang={option.value === "zh" ? "zh-CN" : option.value === "en" ? "en" : undefined}>{option.label}</span>
          </label>
        ))}
      </fieldset>
    </section>
  );
}
