import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { adminBundleGuard } from "./web/admin/bundle-guard.js";

const api = process.env.COURIER_API ?? "http://localhost:3000";

export default defineConfig({
  root: "web",
  plugins: [react(), adminBundleGuard()],
  build: {
    outDir: "../dist/web",
    emptyOutDir: true,
    // On disk for profiling (bench/lib/profile-summary.ts) and crash analysis, but named by no
    // bundle (no sourceMappingURL comment), and the server never serves a .map (server/http/spa.ts).
    sourcemap: "hidden",
    // One app chunk (react-dom, dexie, zod, socket.io-client ≈ 520 kB, ~160 kB gzipped) is
    // fetched once and cached; splitting it would add round trips to the cold start. What the app
    // shares with the admin page (react-dom, zod, the protocol) is a second chunk, modulepreloaded
    // by index.html alongside it (fetched in parallel, kept by the service worker with the shell).
    chunkSizeWarningLimit: 700,
    rolldownOptions: {
      // The service worker is its own entry, at a fixed address (/sw.js) so its scope is the whole app.
      // The admin dashboard is a page of its own (dist/web/admin/index.html, served at /admin by
      // server/http/spa.ts); adminBundleGuard fails the build if any of it reaches the user bundle.
      input: { main: "web/index.html", sw: "web/sw/sw.ts", admin: "web/admin/index.html" },
      output: {
        entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js"),
      },
    },
  },
  server: {
    port: 5173,
    proxy: {
      "/api": { target: api, changeOrigin: false },
      "/socket.io": { target: api, ws: true },
    },
  },
});
