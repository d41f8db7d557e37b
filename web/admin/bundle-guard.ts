import type { Plugin } from "vite";

/**
 * Nothing of the admin dashboard may reach the people who chat: its code and
 * uPlot belong to the admin entry (web/admin/index.html) only. This marker
 * is in the admin page's code (main.tsx puts it on its root element), so a
 * stray import shows up in the built text even where module ids would not.
 */
export const ADMIN_BUNDLE_MARKER = "courier-admin-dashboard";

/** The parts of a built chunk the guard reads (Rollup's and Rolldown's OutputChunk have them). */
export interface BuiltChunk {
  type: "chunk" | "asset";
  fileName: string;
  name?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  moduleIds?: string[];
  code?: string;
}

const ADMIN_MODULE = /[\\/]web[\\/]admin[\\/]|[\\/]node_modules[\\/]uplot[\\/]/;

/**
 * What of the admin code a bundle's user entries (every entry but `admin`)
 * would load, static and dynamic imports followed: one line per leak, empty
 * when the user bundle is clean.
 */
export function adminLeaks(bundle: Record<string, BuiltChunk>): string[] {
  const chunks = Object.values(bundle).filter((c) => c.type === "chunk");
  const byFile = new Map(chunks.map((c) => [c.fileName, c]));
  const seen = new Set<string>();
  const queue = chunks.filter((c) => c.isEntry && c.name !== "admin").map((c) => c.fileName);
  const leaks: string[] = [];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const chunk = byFile.get(file);
    if (!chunk) continue;
    for (const id of chunk.moduleIds ?? []) if (ADMIN_MODULE.test(id)) leaks.push(`${file} contains ${id}`);
    if (chunk.code?.includes(ADMIN_BUNDLE_MARKER)) leaks.push(`${file} contains the admin marker`);
    queue.push(...(chunk.imports ?? []), ...(chunk.dynamicImports ?? []));
  }
  return leaks;
}

/** Fails the build when the user bundle would carry admin code (see adminLeaks). */
export function adminBundleGuard(): Plugin {
  return {
    name: "courier-admin-bundle-guard",
    apply: "build",
    generateBundle(_options, bundle) {
      const leaks = adminLeaks(bundle as unknown as Record<string, BuiltChunk>);
      if (leaks.length > 0) this.error(`The admin dashboard leaked into the user bundle:\n${leaks.join("\n")}`);
    },
  };
}
