import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startServer, tempDir, type TestServer } from "../testing/harness.js";

/**
 * Issue 15: the admin dashboard is a second page of the build
 * (web/admin/index.html → dist/web/admin/index.html). `/admin` must open it,
 * not the app: the app's index.html there would show the chat sign-in.
 */

let server: TestServer | undefined;
const webDirs: string[] = [];
afterEach(async () => {
  await server?.dispose();
  server = undefined;
  for (const dir of webDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const APP = '<!doctype html><title>Courier</title><div id="root">app</div>';
const ADMIN = '<!doctype html><title>Courier admin</title><div id="admin">dashboard</div>';

/** A built web app in miniature, with or without the admin page. */
function webDir(withAdmin: boolean): string {
  const dir = tempDir();
  webDirs.push(dir);
  writeFileSync(path.join(dir, "index.html"), APP);
  if (withAdmin) {
    mkdirSync(path.join(dir, "admin"));
    writeFileSync(path.join(dir, "admin", "index.html"), ADMIN);
  }
  return dir;
}

/** A GET through the app (HTML bodies: the harness's `call` reads JSON). */
async function get(url: string, headers: Record<string, string> = {}) {
  const res = await server!.app.inject({ method: "GET", url, headers });
  return { status: res.statusCode, type: String(res.headers["content-type"]), body: res.body };
}

describe("the admin page", () => {
  it("answers /admin, /admin/ and paths under it with the admin page; the app keeps its own routes", async () => {
    server = await startServer({ webDir: webDir(true), adminToken: "admin-token-for-tests-0123456789" });
    for (const url of ["/admin", "/admin/", "/admin?x=1", "/admin/traces/abc"]) {
      const res = await get(url);
      expect(res.status, url).toBe(200);
      expect(res.type, url).toMatch(/^text\/html/);
      expect(res.body, url).toContain("dashboard");
      expect(res.body, url).not.toContain("app</div>");
    }
    for (const url of ["/", "/administrator", "/conversations/admin", "/adminx"]) {
      const res = await get(url);
      expect(res.status, url).toBe(200);
      expect(res.body, url).toContain("app</div>");
    }
    // The admin API is not the page: an unknown admin route stays a JSON 404 (the token is right, the route is not).
    const api = await get("/api/admin/nothing-here", { authorization: "Bearer admin-token-for-tests-0123456789" });
    expect(api.status).toBe(404);
    expect(api.type).toMatch(/^application\/json/);
  });

  it("falls back to the app where the build has no admin page (an older dist)", async () => {
    server = await startServer({ webDir: webDir(false) });
    const res = await get("/admin");
    expect(res.status).toBe(200);
    expect(res.body).toContain("app</div>");
  });
});

describe("files and the app's fallback (issue 17)", () => {
  it("serves the manifest and icons with their types and the security headers; a missing file is a 404, never the app's HTML", async () => {
    const dir = webDir(false);
    writeFileSync(path.join(dir, "manifest.webmanifest"), JSON.stringify({ name: "Courier" }));
    writeFileSync(path.join(dir, "icon-192.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    server = await startServer({ webDir: dir });

    const manifest = await server.app.inject({ method: "GET", url: "/manifest.webmanifest" });
    expect(manifest.statusCode).toBe(200);
    expect(String(manifest.headers["content-type"])).toMatch(/^application\/manifest\+json/);
    expect(manifest.headers["content-security-policy"]).toContain("manifest-src 'self'");
    expect(manifest.headers["x-content-type-options"]).toBe("nosniff");
    expect(JSON.parse(manifest.body)).toEqual({ name: "Courier" });
    const icon = await server.app.inject({ method: "GET", url: "/icon-192.png" });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers["content-type"]).toBe("image/png");

    for (const url of ["/manifest.json", "/favicon.ico", "/assets/main-gone.js", "/assets/main.js.map", "/icon-1024.png?v=2", "/robots.txt"]) {
      const res = await get(url);
      expect(res.status, url).toBe(404);
      expect(res.type, url).toMatch(/^application\/json/);
      expect(res.body, url).not.toContain("app</div>");
    }
    // Routes are in the hash: the paths a reload or a link can land on still open the app.
    for (const url of ["/", "/?utm=x", "/conversations/abc", "/c/conv-1.2"]) {
      const res = await get(url);
      expect(res.status, url).toBe(200);
      expect(res.body, url).toContain("app</div>");
    }
  });
});
