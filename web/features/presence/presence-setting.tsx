import { useTranslation } from "react-i18next";
import type { Api } from "../../api/client.js";
import { useRemoteSetting } from "../../lib/use-remote-setting.js";
import { useSession } from "../../session.js";
import { ActionError } from "../group/action.js";
import { fetchPresenceSettings, savePresenceSettings } from "./presence-api.js";

const loadShowOnline = async (api: Api) => (await fetchPresenceSettings(api)).showOnline;
const saveShowOnline = async (api: Api, showOnline: boolean) => (await savePresenceSettings(api, { showOnline })).showOnline;

/** Settings: "Show when I'm online" (default on). Off: others see nothing of mine, and I see nobody's. */
export function PresenceSetting() {
  const { t } = useTranslation();
  const { api } = useSession();
  const { value: showOnline, busy, error, change } = useRemoteSetting(api, loadShowOnline, saveShowOnline);
  return (
    <section className="settings-section" aria-labelledby="settings-presence">
      <h3 id="settings-presence">{t("presence.setting.heading")}</h3>
      <label className="switch-row">
        <input
          type="checkbox"
          data-testid="show-online"
          checked={showOnline ?? true}
          disabled={showOnline === null}
          aria-busy={busy}
          aria-describedby="presence-setting-help"
          onChange={(e) => {
            // Not disabled while busy: a disabled control drops keyboard focus.
            if (!busy) void change(e.target.checked);
          }}
        />
        <span>{t("presence.setting.show")}</span>
      </label>
      <p id="presence-setting-help" className="muted small-text">
        {t("presence.setting.help")}
      </p>
      <ActionError error={error} />
    </section>
  );
}
