// First: before any zod schema is built (see the file).
import "./lib/zod-jitless.js";
import "./db/dexie-mode.js";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app.js";
import { whenLanguageReady } from "./i18n/index.js";
import { installProbe } from "./debug.js";
import { installServiceWorker } from "./push/sw-bridge.js";
import { listenForInstallPrompt } from "./features/install/install-prompt.js";
import { SessionManager } from "./session-manager.js";
import { stampListWrites } from "./boot/save-first-paint.js";
import "./styles.css";

// Every module above has run: where a cold start stands (bench/suites/browser.ts reads the courier:* marks).
performance.mark("courier:modules-evaluated");
installProbe();
// Before any write: the next start's first paint must hear of every one (web/boot/first-paint.ts).
stampListWrites();
installServiceWorker();
listenForInstallPrompt();
// Outside React: StrictMode would run a component's setup twice and open two sessions.
const manager = new SessionManager();
manager.boot();

const root = document.getElementById("root");
if (!root) throw new Error("#root missing from index.html");
// At once in English; in Chinese once its catalog (a chunk of its own) has loaded, so the first paint is in Chinese.
whenLanguageReady(() =>
  createRoot(root).render(
    <StrictMode>
      <App manager={manager} />
    </StrictMode>,
  ),
);
