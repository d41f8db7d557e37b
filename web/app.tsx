import { useEffect, useSyncExternalStore } from "react";
import { ErrorBoundary } from "./error-boundary.js";
import { AuthScreen } from "./features/auth/auth-screen.js";
import { Shell } from "./features/shell/shell.js";
import { SessionContext } from "./session.js";
import type { SessionManager } from "./session-manager.js";
import { useUi } from "./stores/ui.js";
import { useLanguage } from "./i18n/index.js";
import { useRemoveFirstPaint } from "./boot/save-first-paint.js";

export function App({ manager }: { manager: SessionManager }) {
  const phase = useSyncExternalStore(manager.subscribe, () => manager.current);
  const language = useLanguage();
  // The boot script's copy of the list (web/boot/first-paint.ts) gives way to any screen but the list at once
  // (the list removes it once it has its data: conversation-list.tsx).
  const onList = useUi((s) => s.route.name === "chats");
  useRemoveFirstPaint(!(phase.name === "signed-in" && onList));

  useEffect(() => {
    const onHash = () => useUi.getState().syncFromLocation();
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  switch (phase.name) {
    case "booting":
      // First visit only: the device id is being created.
      return <div className="boot" aria-busy="true" />;
    case "signed-out":
      return <AuthScreen manager={manager} notice={phase.notice} />;
    case "signed-in":
      return (
        // A new language renders every screen again from the top: words computed outside React (summaries, times) included.
        <ErrorBoundary key={`${phase.session.user.id}:${language}`}>
          <SessionContext.Provider value={phase.session}>
            <Shell />
          </SessionContext.Provider>
        </ErrorBoundary>
      );
  }
}
