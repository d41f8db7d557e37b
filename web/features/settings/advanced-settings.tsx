import { useTranslation } from "react-i18next";
import { connectionDisplay, useConnection } from "../../stores/connection.js";
import { transportLabel } from "../../sync/transport.js";
import { ConnectionMenu } from "../status/connection-menu.js";

/**
 * Settings → Advanced: how this browser reaches the server, and the choice
 * that forces one way (for networks where automatic detection guesses wrong).
 * Kept out of the header: most people never need either.
 */
export function AdvancedSettings() {
  const { t } = useTranslation();
  const { status, transport, browserOffline, unreachable, tooManyTabs } = useConnection();
  const state = connectionDisplay({ status, browserOffline, unreachable, tooManyTabs });
  const label = transport ? transportLabel(transport) : null;
  return (
    <section className="settings-section" aria-labelledby="settings-advanced">
      <h3 id="settings-advanced">{t("settings.advanced.heading")}</h3>
      <p className="muted small-text" data-testid="transport-in-use" data-transport={state === "online" ? (transport ?? "") : ""}>
        {state === "online" && label ? t("settings.advanced.connectedOver", { transport: label }) : t("settings.advanced.notConnected")}
      </p>
      <p className="muted small-text">{t("settings.advanced.automatic")}</p>
      <ConnectionMenu />
    </section>
  );
}
