import { useTranslation } from "react-i18next";
import { useSession } from "../../session.js";
import { useConnection } from "../../stores/connection.js";
import { transportLabel } from "../../sync/transport.js";
import { isTransportChoice, LADDER, TRANSPORT_PARAM } from "../../sync/transport-choice.js";

/**
 * "Connection: Automatic / WebSocket / Server-Sent Events / Long-polling".
 * For networks where automatic detection guesses wrong (a proxy that lets a
 * WebSocket open but never delivers on it). Applied at once by reconnecting.
 * Lives in Settings → Advanced (advanced-settings.tsx), not in the header.
 */
export function ConnectionMenu() {
  const { t } = useTranslation();
  const { setTransportChoice } = useSession();
  const choice = useConnection((s) => s.choice);
  const forced = useConnection((s) => s.choiceForced);
  return (
    <label className="connection-choice" title={forced ? t("connection.menu.forced", { param: TRANSPORT_PARAM }) : t("connection.menu.hint")}>
      <span className="connection-choice-label">{t("connection.menu.label")}</span>
      <select
        data-testid="transport-choice"
        value={choice}
        disabled={forced}
        onChange={(event) => {
          const next = event.target.value;
          if (isTransportChoice(next)) setTransportChoice(next);
        }}
      >
        <option value="auto">{t("connection.menu.automatic")}</option>
        {LADDER.map((name) => (
          <option key={name} value={name}>
            {transportLabel(name)}
          </option>
        ))}
      </select>
    </label>
  );
}
