import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Plugin } from "vite";

/**
 * Files of `web/public/assets/` keep their names in the build (`theme.js`,
 * which index.html runs before the app to paint the chosen theme), unlike
 * the bundles, whose names carry a hash of their content. The service worker
 * answers `/assets/*` from its cache first and keeps an asset until the page
 * stops naming it (web/sw/sw.ts), so an installed app would run its first
 * copy of such a file forever. Naming it with a hash of its content
 * (`/assets/theme.js?v=1a2b3c4d`) makes a changed file a new address, fetched
 * and kept like any new bundle, and the old one dropped.
 */
export function versionPublicAssets(html: string, publicDir: string): string {
  return html.replace(/(\s(?:src|href)=")(\/assets\/[^"?#]+)(")/g, (whole, before: string, asset: string, after: string) => {
    const file = path.join(publicDir, asset);
    if (!existsSync(file)) return whole;
    const hash = createHash("sha256").update(readFileSync(file)).digest("hex").slice(0, 8);
    return `${before}${asset}?v=${hash}${after}`;
  });
}

/** `versionPublicAssets` on every page the build writes. */
export function publicAssetVersions(publicDir: string): Plugin {
  return {
    name: "courier-public-asset-versions",
    apply: "build",
    transformIndexHtml: { order: "post", handler: (html) => versionPublicAssets(html, publicDir) },
  };
}
