import { describe, expect, it } from "vitest";
import { ADMIN_BUNDLE_MARKER, adminLeaks, type BuiltChunk } from "./bundle-guard.js";

/** A bundle shaped like the real build: main and admin entries sharing a chunk, the service worker on its own. */
function bundle(overrides: Partial<Record<string, Partial<BuiltChunk>>> = {}): Record<string, BuiltChunk> {
  const chunks: Record<string, BuiltChunk> = {
    "assets/main.js": { type: "chunk", fileName: "assets/main.js", name: "main", isEntry: true, imports: ["assets/shared.js"], moduleIds: ["/repo/web/main.tsx"], code: "app()" },
    "assets/shared.js": { type: "chunk", fileName: "assets/shared.js", name: "shared", imports: [], moduleIds: ["/repo/node_modules/react-dom/index.js", "/repo/web/api/http.ts"], code: "react()" },
    "assets/admin.js": {
      type: "chunk",
      fileName: "assets/admin.js",
      name: "admin",
      isEntry: true,
      imports: ["assets/shared.js"],
      moduleIds: ["/repo/web/admin/main.tsx", "/repo/node_modules/uplot/dist/uPlot.esm.js"],
      code: `root.dataset.app = "${ADMIN_BUNDLE_MARKER}"`,
    },
    "sw.js": { type: "chunk", fileName: "sw.js", name: "sw", isEntry: true, moduleIds: ["/repo/web/sw/sw.ts"], code: "self" },
    "assets/main.css": { type: "asset", fileName: "assets/main.css" },
  };
  for (const [file, change] of Object.entries(overrides)) chunks[file] = { ...chunks[file]!, ...change };
  return chunks;
}

describe("the admin bundle guard", () => {
  it("passes a build where the admin code and uPlot are only in the admin entry", () => {
    expect(adminLeaks(bundle())).toEqual([]);
  });

  it("finds uPlot or admin modules reached from the user entry, through shared and lazy chunks", () => {
    expect(adminLeaks(bundle({ "assets/shared.js": { moduleIds: ["/repo/node_modules/uplot/dist/uPlot.esm.js"] } }))).toEqual([
      "assets/shared.js contains /repo/node_modules/uplot/dist/uPlot.esm.js",
    ]);
    const lazy = bundle({ "assets/main.js": { dynamicImports: ["assets/admin.js"] } });
    expect(adminLeaks(lazy)).toEqual([
      "assets/admin.js contains /repo/web/admin/main.tsx",
      "assets/admin.js contains /repo/node_modules/uplot/dist/uPlot.esm.js",
      "assets/admin.js contains the admin marker",
    ]);
  });

  it("finds the admin marker in the user bundle's text (a module id it does not list) and in the service worker", () => {
    expect(adminLeaks(bundle({ "sw.js": { code: `x="${ADMIN_BUNDLE_MARKER}"` } }))).toEqual(["sw.js contains the admin marker"]);
  });
});
