import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { versionPublicAssets } from "./public-asset-versions.js";

describe("versionPublicAssets", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("names an unhashed public asset by its content, so a changed file gets a new address the service worker fetches", () => {
    dir = mkdtempSync(path.join(tmpdir(), "courier-public-"));
    mkdirSync(path.join(dir, "assets"));
    const html = `<head><script src="/assets/theme.js"></script><script type="module" src="/assets/main-AbC123.js"></script></head>`;
    writeFileSync(path.join(dir, "assets/theme.js"), "document.documentElement.dataset.theme = 'dark';");
    const first = versionPublicAssets(html, dir);
    expect(first).toMatch(/src="\/assets\/theme\.js\?v=[0-9a-f]{8}"/);
    // A bundle (not a public file) is left as the build named it.
    expect(first).toContain(`src="/assets/main-AbC123.js"`);
    expect(versionPublicAssets(html, dir)).toBe(first);
    writeFileSync(path.join(dir, "assets/theme.js"), "document.documentElement.dataset.theme = 'light';");
    const second = versionPublicAssets(html, dir);
    expect(second).toMatch(/src="\/assets\/theme\.js\?v=[0-9a-f]{8}"/);
    expect(second).not.toBe(first);
  });
});
