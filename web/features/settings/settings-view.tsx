import { useEffect } from "react";
import { Trans, useTranslation } from "react-i18next";
import { BackIcon } from "../../lib/icons.js";
import { useSession } from "../../session.js";
import { useUi } from "../../stores/ui.js";
import { AccountSettings } from "../account/account-settings.js";
import { BlockedPeople } from "../safety/blocked-people.js";
import { unreachableText, useNotifications } from "../notifications/use-notifications.js";
import { AdvancedSettings } from "./advanced-settings.js";
import { PresenceSetting } from "../presence/presence-setting.js";
import type { Api } from "../../api/client.js";
import { useRemoteSetting } from "../../lib/use-remote-setting.js";
import { InstallSection } from "../install/install-section.js";
import { LanguageSetting } from "./language-setting.js";

/** Notifications for this browser, and message previews for the account. */
export function SettingsView() {
  const { t } = useTranslation();
  const navigate = useUi((s) => s.navigate);
  return (
    <div className="settings" data-testid="settings">
      <div className="conversation-header">
        <button type="button" className="icon back" aria-label={t("settings.backToConversations")} onClick={() => navigate({ name: "chats" })}>
          <BackIcon />
        </button>
        <div className="conversation-heading">
          <h2>{t("settings.title")}</h2>
        </div>
      </div>
      <div className="settings-body">
        <AccountSettings />
        <LanguageSetting />
        <NotificationSettings />
        <InstallSection />
        <PreviewSettings />
        <PresenceSetting />
        <BlockedPeople />
        <AdvancedSettings />
      </div>
    </div>
  );
}

function NotificationSettings() {
  const { t } = useTranslation();
  const { api, deviceId } = useSession();
  const { state, busy, error, refresh, turnOn, turnOff } = useNotifications();
  useEffect(() => {
    void refresh();
  }, [refresh]);

  return (
    <section className="settings-section" aria-labelledby="settings-notifications">
      <h3 id="settings-notifications">{t("settings.notifications.heading")}</h3>
      {state === null ? <p className="muted">{t("settings.notifications.checking")}</p> : null}
      {state === "unsupported" ? <p className="muted">{t("settings.notifications.unsupported")}</p> : null}
      {state === "denied" ? (
        <div data-testid="notifications-blocked">
          <p>{t("settings.notifications.blocked")}</p>
          <p className="muted small-text">
            <Trans i18nKey="settings.notifications.howToAllow" components={{ strong: <strong /> }} />
          </p>
        </div>
      ) : null}
      {state === "default" || state === "on" || state === "off" || state === "unreachable" ? (
        <label className="switch-row">
          <input
            type="checkbox"
            checked={state === "on"}
            aria-busy={busy}
            onChange={(e) => {
              // Not disabled while busy: a disabled control drops keyboard focus.
              if (!busy) void (e.target.checked ? turnOn(api, deviceId) : turnOff(api, deviceId));
            }}
          />
          <span>{t("settings.notifications.toggle")}</span>
        </label>
      ) : null}
      {state === "unreachable" ? (
        <p className="error small-text" role="alert">
          {unreachableText()}
        </p>
      ) : null}
      {error ? (
        <p className="error small-text" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}

const loadHidePreviews = async (api: Api) => (await api.pushPreferences()).hidePreviews;
const saveHidePreviews = async (api: Api, hidePreviews: boolean) => (await api.setPushPreferences({ hidePreviews })).hidePreviews;

function PreviewSettings() {
  const { t } = useTranslation();
  const { api } = useSession();
  const { value: hidePreviews, busy, error, change } = useRemoteSetting(api, loadHidePreviews, saveHidePreviews);

  return (
    <section className="settings-section" aria-labelledby="settings-previews">
      <h3 id="settings-previews">{t("settings.privacy.heading")}</h3>
      <label className="switch-row">
        <input
          type="checkbox"
          checked={hidePreviews ?? false}
          disabled={hidePreviews === null}
          aria-busy={busy}
          onChange={(e) => {
            if (!busy) void change(e.target.checked);
          }}
        />
        <span>{t("settings.privacy.hidePreviews")}</span>
      </label>
      {error ? (
        <p className="error small-text" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
