import { useSession } from "../../session.js";
import { useConnection } from "../../stores/connection.js";
import { TRANSPORT_LABELS } from "../../sync/transport.js";
import { isTransportChoice, LADDER, TRANSPORT_PARAM } from "../../sync/transport-choice.js";

/**
 * "Connection: Automatic / WebSocket / Server-Sent Events / Long-polling".
 * For networks where automatic detection guesses wrong (a proxy that lets a
 * WebSocket open but never delivers on it). Applied at once by reconnecting.
 * Lives in Settings → Advanced (advanced-settings.tsx), not in the header.
 */
export function ConnectionMenu() {
  const { setTransportChoice } = useSession();
  const choice = useConnection((s) => s.choice);
  const forced = useConnection((s) => s.choiceForced);
  return (
    <label className="connection-choice" title={forced ? `Set by the page address (?${TRANSPORT_PARAM}=)` : "How this browser connects"}>
      <span className="connection-choice-label">Connection</span>
      <select
        data-testid="transport-choice"
        value={choice}
        disabled={forced}
        onChange={(event) => {
          const next = event.target.value;
          if (isTransportChoice(next)) setTransportChoice(next);
        }}
      >
        <option value="auto">Automatic</option>
        {LADDER.map((name) => (
          <option key={name} value={name}>
            {TRANSPORT_LABELS[name]}
          </option>
        ))}
      </select>
    </label>
  );
}
