import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build, defineConfig, type HtmlTagDescriptor, type Plugin, type Rollup } from "vite";
import react from "@vitejs/plugin-react";
import { adminBundleGuard } from "./web/admin/bundle-guard.js";

const api = process.env.COURIER_API ?? "http://localhost:3000";

export default defineConfig({
  root: "web",
  plugins: [react(), adminBundleGuard(), lazyChunkLinks(), bootScript()],
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
 * Builds the boot script (web/boot/boot.ts) and the theme's script
 * (web/boot/theme.js) each on its own, as one minified classic script with
 * everything it imports inside (as entries of the app's build, the modules
 * the boot script shares with the app would be split into a chunk both
 * import, and a classic script cannot import), and puts their text where the
 * app's index.html names them: the boot script at the top of `<head>`,
 * the theme's after the theme colours it reads. Inline, nothing holds the
 * parser before #root: no round trip to the service worker (which a
 * browser's start has to start first). The boot script starts the IndexedDB
 * read of the first screen (web/boot/read.ts) while the app's scripts are
 * fetched and compiled, and paints the list as last drawn
 * (web/boot/first-paint.ts) as soon as #root is parsed. The server's CSP
 * allows each inline script of the built page by its hash
 * (server/http/security-headers.ts `builtInlineScripts`); nothing else inline
 * runs. The dev server inlines the theme's source and no boot script.
 */
function bootScript(): Plugin {
  let building = false;
  let boot = "";
  let theme = "";
  return {
    name: "courier-boot-script",
    configResolved(config) {
      building = config.command === "build";
    },
    async buildStart() {
      if (building) [boot, theme] = await Promise.all([classicScript(BOOT), classicScript(THEME)]);
    },
    transformIndexHtml: {
      order: "post",
      handler(html, ctx) {
        // The app's page names both places; another page (the admin's) neither.
        const missing = [BOOT, THEME].map(place).filter((p) => !html.includes(p));
        if (missing.length === 2 && ctx.path !== "/index.html") return;
        if (missing.length) throw new Error(`courier-boot-script: ${ctx.path} has no ${missing.join(" and no ")}`);
        const inline = (file: string, code: string) => (page: string) => page.replace(place(file), () => `<script>${code}</script>`);
        // The dev server (no CSP) runs the theme's source as it is, and no boot script: the app reads the usual way.
        if (!building) return inline(THEME, readFileSync(fromHere(THEME), "utf8"))(html);
        if (!boot || !theme) throw new Error("courier-boot-script: the boot script was not built");
        return inline(THEME, theme)(inline(BOOT, boot)(html));
      },
    },
  };
}

/** The inlined scripts, relative to this config. */
const BOOT = "web/boot/boot.ts";
const THEME = "web/boot/theme.js";
/** Where index.html wants `file` (an empty script runs nothing, should this plugin not run). */
const place = (file: string) => `<script data-inline="${file}"></script>`;
const fromHere = (file: string) => fileURLToPath(new URL(`./${file}`, import.meta.url));

/** `file` built on its own, minified, as one classic script fit to be inlined. */
async function classicScript(file: string): Promise<string> {
  const result = await build({
    configFile: false,
    logLevel: "silent",
    build: {
      write: false,
      minify: true,
      target: "es2022",
      rolldownOptions: { input: fromHere(file), output: { format: "iife" } },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rollup.RollupOutput[];
  const chunks = outputs.flatMap((o) => o.output).filter((c): c is Rollup.OutputChunk => c.type === "chunk");
  if (chunks.length !== 1) throw new Error(`courier-boot-script: expected one chunk for ${file}, got ${chunks.map((c) => c.fileName).join(", ")}`);
  return inlineable(chunks[0]!.code.trim(), file);
}

/** `code` as the text of an inline <script>: nothing in it may end the element or open a comment the parser would honour. */
function inlineable(code: string, what: string): string {
  if (/<\/script|<!--/i.test(code)) throw new Error(`courier-boot-script: ${what} cannot be inlined (it contains </script or <!--)`);
  return code;
}
