import { useTranslation } from "react-i18next";
import { useInstall } from "./install-prompt.js";

/** Settings' "Install Courier": shown only while the browser offers installing (never in Firefox or Safari, nor once installed). */
export function InstallSection() {
  const { t } = useTranslation();
  const { state, install } = useInstall();
  if (state === "unavailable" || state === "installed") return null;
  return (
    <section
      className="settings-section"
      aria-labelledby="settings-install"
      data-testid="install-section"
    >
      <h3 id="settings-install">{t("install.heading")}</h3>
      <p className="muted small-text">{t("install.explain")}</p>
      <button
        type="button"
        className="secondary small"
        aria-busy={state === "installing"}
        onClick={() => void install()}
      >
        {state === "installing" ? t("install.installing") : t("install.install")}
      </button>
    </section>
  );
}
