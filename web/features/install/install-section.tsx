import { useInstall } from "./install-prompt.js";

/** Settings' "Install Courier": shown only while the browser offers installing (never in Firefox or Safari, nor once installed). */
export function InstallSection() {
  const { state, install } = useInstall();
  if (state === "unavailable" || state === "installed") return null;
  return (
    <section
      className="settings-section"
      aria-labelledby="settings-install"
      data-testid="install-section"
    >
      <h3 id="settings-install">Install Courier</h3>
      <p className="muted small-text">
        Open Courier in its own window, from your home screen or app list. It
        opens even without a network.
      </p>
      <button
        type="button"
        className="secondary small"
        aria-busy={state === "installing"}
        onClick={() => void install()}
      >
        {state === "installing" ? "Installing…" : "Install Courier"}
      </button>
    </section>
  );
}
