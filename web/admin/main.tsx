// First: before any zod schema is built (the CSP has no 'unsafe-eval'; see the file).
import "../lib/zod-jitless.js";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { AdminApp } from "./admin-app.js";
import { ADMIN_BUNDLE_MARKER } from "./bundle-guard.js";
import { sessionTokenStore } from "./token.js";
import "./admin.css";

const root = document.getElementById("admin-root");
if (!root) throw new Error("#admin-root missing from admin/index.html");
// The marker the build's guard looks for in the user bundle (vite.config.ts): it must stay in this code.
root.dataset.app = ADMIN_BUNDLE_MARKER;
createRoot(root).render(
  <StrictMode>
    <AdminApp tokens={sessionTokenStore()} />
  </StrictMode>,
);
