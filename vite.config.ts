import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { build, defineConfig, type HtmlTagDescriptor, type Plugin, type Rollup } from "vite";
import react from "@vitejs/plugin-react";
import { adminBundleGuard } from "./web/admin/bundle-guard.js";
import { publicAssetVersions } from "./scripts/build/public-asset-versions.js";

const api = process.env.COURIER_API ?? "http://localhost:3000";

export default defineConfig({
  root: "web",
  plugins: [react(), adminBundleGuard(), lazyChunkLinks(), publicAssetVersions(fileURLToPath(new URL("./web/public", import.meta.url))), bootScript()],
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

/**
 * Names in the app's index.html every chunk it loads with `import()` (today
 * the Chinese catalog, web/i18n/index.ts), and what those chunks import, as
 * `<link rel="prefetch">`: the service worker keeps only the assets the page
 * names (`keepShell`, web/sw/sw.ts), so an unnamed chunk would be missing
 * offline. A prefetch is fetched at the lowest priority and never run: a
 * start that does not need the chunk does not compile it (Vite itself adds
 * modulepreload links only for the entry's static imports).
 */
function lazyChunkLinks(): Plugin {
  return {
    name: "courier-lazy-chunk-links",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        if (!ctx.bundle || !ctx.chunk || /[\\/]admin[\\/]/.test(ctx.filename)) return;
        const chunks = new Map(Object.values(ctx.bundle).flatMap((c) => (c.type === "chunk" ? [[c.fileName, c] as const] : [])));
        const loaded = new Set<string>();
        const statics = (file: string, into: Set<string>) => {
          if (into.has(file)) return;
          into.add(file);
          for (const next of chunks.get(file)?.imports ?? []) statics(next, into);
        };
        statics(ctx.chunk.fileName, loaded);
        const lazy = new Set<string>();
        const walk = (chunk: Rollup.OutputChunk | undefined, seen: Set<string>) => {
          if (!chunk || seen.has(chunk.fileName)) return;
          seen.add(chunk.fileName);
          for (const file of chunk.dynamicImports) statics(file, lazy);
          for (const file of [...chunk.imports, ...chunk.dynamicImports]) walk(chunks.get(file), seen);
        };
        walk(ctx.chunk, new Set());
        const named = [...lazy].filter((file) => !loaded.has(file));
        return named.sort().map((file): HtmlTagDescriptor => ({ tag: "link", attrs: { rel: "prefetch", href: `/${file}` }, injectTo: "head" }));
      },
    },
  };
}

/**
 * Builds the boot script (web/boot/boot.ts) on its own, as one classic script
 * with everything it imports inside (a build of its own: as an entry of the
 * app's build, the modules it shares with the app would be split into a
 * chunk both import, and a classic script cannot import), and names it first
 * in the app's index.html as an async script: it runs as soon as it has
 * loaded (a few kB, requested before the app's module and its modulepreloads),
 * without holding the parser, while the app's scripts are fetched and
 * compiled, reads the first screen from IndexedDB (web/boot/read.ts) and
 * paints the list as last drawn (web/boot/first-paint.ts). The app uses that
 * read only if the script ran before the app's modules (otherwise it reads the
 * usual way). Under /assets/ with a hash of its content, so the service worker
 * keeps it with the shell (`keepShell`) and each build's copy is its own.
 */
function bootScript(): Plugin {
  let fileName = "";
  return {
    name: "courier-boot-script",
    apply: "build",
    async buildStart() {
      const result = await build({
        configFile: false,
        logLevel: "silent",
        build: {
          write: false,
          minify: true,
          target: "es2022",
          rolldownOptions: { input: fileURLToPath(new URL("./web/boot/boot.ts", import.meta.url)), output: { format: "iife" } },
        },
      });
      const outputs = (Array.isArray(result) ? result : [result]) as Rollup.RollupOutput[];
      const chunks = outputs.flatMap((o) => o.output).filter((c): c is Rollup.OutputChunk => c.type === "chunk");
      if (chunks.length !== 1) throw new Error(`courier-boot-script: expected one chunk, got ${chunks.map((c) => c.fileName).join(", ")}`);
      const code = chunks[0]!.code;
      fileName = `assets/boot-${createHash("sha256").update(code).digest("base64url").slice(0, 8)}.js`;
      this.emitFile({ type: "asset", fileName, source: code });
    },
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        if (!ctx.bundle || /[\\/]admin[\\/]/.test(ctx.filename)) return;
        if (!fileName) throw new Error("courier-boot-script: the boot script was not built");
        return [{ tag: "script", attrs: { src: `/${fileName}`, async: true }, injectTo: "head-prepend" }];
      },
    },
  };
}
