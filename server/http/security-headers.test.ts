import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { call, listen, register, startServer, tempDir, type TestServer } from "../testing/harness.js";
import { openStream } from "../testing/sse-client.js";
import { HSTS, builtInlineScripts, inlineScriptHashes } from "./security-headers.js";

/**
 * Issue 12, finding 3: no security headers, the app could be framed, source
 * maps were served. Every kind of response is checked, through a real socket
 * where Fastify's inject would not show it (hijacked streams, socket.io's own
 * answers, errors raised before routing).
 */

let server: TestServer | undefined;
/** The miniature apps' folders, removed after each test (the server's own data folder goes with dispose). */
const webDirs: string[] = [];
afterEach(async () => {
  await server?.dispose();
  server = undefined;
  for (const dir of webDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The build's inline script in the miniature app (vite.config.ts inlines the boot and theme scripts). */
const INLINE = "document.documentElement.dataset.theme = 'light';";
/** Its CSP hash source, computed here as the CSP spec says: base64 of the SHA-256 of the script's text. */
const INLINE_HASH = `'sha256-${createHash("sha256").update(INLINE).digest("base64")}'`;

/** A built app in miniature: index.html (with an inline script), the service worker, a bundle and its (hidden) source map. */
function webDir(): string {
  const dir = tempDir();
  webDirs.push(dir);
  mkdirSync(path.join(dir, "assets"));
  writeFileSync(path.join(dir, "index.html"), `<!doctype html><head><script>${INLINE}</script></head><div id="root"></div><script type="module" src="/assets/main-abc.js"></script>`);
  writeFileSync(path.join(dir, "sw.js"), "self.addEventListener('push', () => {});");
  writeFileSync(path.join(dir, "assets", "main-abc.js"), "console.log('app');");
  writeFileSync(path.join(dir, "assets", "main-abc.js.map"), '{"version":3,"sources":["../../web/main.tsx"],"sourcesContent":["secret source"]}');
  return dir;
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once("error", reject);
    req.end();
  });
}

function expectSecured(headers: Record<string, unknown>, what: string): void {
  expect(headers, what).toMatchObject({
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": expect.stringContaining("camera=(), microphone=(), geolocation=(self)"),
  });
  const csp = String(headers["content-security-policy"]);
  for (const directive of [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "worker-src 'self'",
    "manifest-src 'self'",
  ]) {
    expect(csp, `${what}: ${directive}`).toContain(directive);
  }
  expect(csp, what).not.toMatch(/unsafe-|\*/);
}

describe("security headers", () => {
  it("are on every kind of response: the app, the service worker, assets, the API, errors, 404s, streams, socket.io's own answers", async () => {
    server = await startServer({ webDir: webDir() });
    const url = await listen(server);
    const alice = await register(server.app, "alice");

    const answers: [string, number, Record<string, string>?][] = [
      ["/", 200],
      ["/sw.js", 200],
      ["/assets/main-abc.js", 200],
      ["/conversations/a-client-route", 200],
      ["/api/health", 200],
      ["/api/me", 401],
      ["/api/conversations", 200, { authorization: `Bearer ${alice.token}` }],
      ["/api/no-such-route", 404],
      // Raised before routing (frameworkErrors), where no hook runs.
      ["/api/%E0%A4%A", 400],
      // socket.io answers this itself (it allows only WebSocket): outside Fastify.
      ["/socket.io/?EIO=4&transport=polling", 400],
    ];
    for (const [path, status, headers] of answers) {
      const res = await get(`${url}${path}`, headers);
      expect(res.status, path).toBe(status);
      expectSecured(res.headers, path);
      // The built page's inline script, and only it, by its hash.
      expect(String(res.headers["content-security-policy"]), path).toContain(`script-src 'self' ${INLINE_HASH};`);
    }

    // A hijacked response (the SSE stream writes its own head).
    const stream = await openStream(`${url}/api/stream?device=${randomUUID()}`, { authorization: `Bearer ${alice.token}` });
    expect(stream.status).toBe(200);
    expectSecured(Object.fromEntries(stream.headers), "/api/stream");
    stream.close();
  });

  it("name the server's own WebSocket origin in connect-src (older WebKit does not match ws: with 'self'), never a foreign one", async () => {
    server = await startServer();
    const own = await call(server.app, "GET", "/api/health", { headers: { host: "127.0.0.1:3000" } });
    expect(own.headers["content-security-policy"]).toContain("connect-src 'self' ws://127.0.0.1:3000");
    const foreign = await call(server.app, "GET", "/api/health", { headers: { host: "evil.example:3000" } });
    expect(foreign.headers["content-security-policy"]).toMatch(/connect-src 'self' blob:(;|$)/);
  });

  it("send HSTS only over https: behind a trusted proxy that says so, never over plain http or on a client's word", async () => {
    server = await startServer({ trustProxy: 1, allowedHosts: ["chat.example.com"] });
    const https = await call(server.app, "GET", "/api/health", { headers: { host: "chat.example.com", "x-forwarded-proto": "https" } });
    expect(https.headers["strict-transport-security"]).toBe(HSTS);
    expect(https.headers["content-security-policy"]).toContain("wss://chat.example.com");
    const plain = await call(server.app, "GET", "/api/health");
    expect(plain.headers["strict-transport-security"]).toBeUndefined();
    await server.dispose();

    server = await startServer({ trustProxy: false });
    const claimed = await call(server.app, "GET", "/api/health", { headers: { "x-forwarded-proto": "https" } });
    expect(claimed.headers["strict-transport-security"]).toBeUndefined();
  });
});

describe("inlineScriptHashes", () => {
  it("hashes each inline script's text, in order, and no script with a src", () => {
    const sha = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
    const html = `<head><script>a()</script>\n<script src="/x.js" async></script><SCRIPT type="text/javascript">b("é")</SCRIPT ><script type="module" src="/m.js"></script><script></script></head>`;
    expect(inlineScriptHashes(html)).toEqual([sha("a()"), sha('b("é")')]);
    expect(inlineScriptHashes('<div id="root"></div>')).toEqual([]);
  });

  it("follow a page rebuilt under a running server within a second (a deploy that swaps the files), and none when it is gone", () => {
    const dir = tempDir();
    webDirs.push(dir);
    const page = (script: string) => writeFileSync(path.join(dir, "index.html"), `<head><script>${script}</script></head>`);
    let now = 0;
    const current = builtInlineScripts(dir, () => now);
    expect(current()).toEqual([]);
    page("first()");
    now += 1_000;
    expect(current()).toEqual(inlineScriptHashes("<script>first()</script>"));
    page("second(1)");
    now += 1_000;
    expect(current()).toEqual(inlineScriptHashes("<script>second(1)</script>"));
    rmSync(path.join(dir, "index.html"));
    now += 1_000;
    expect(current()).toEqual([]);
  });
});

describe("source maps", () => {
  it("are never served, not even through the SPA fallback, while the bundle is", async () => {
    server = await startServer({ webDir: webDir() });
    const url = await listen(server);
    expect((await get(`${url}/assets/main-abc.js`)).status).toBe(200);
    for (const path of ["/assets/main-abc.js.map", "/assets/main-abc.js.map?x=1", "/assets/MAIN-abc.js.MAP", "/assets/missing.js.map"]) {
      const res = await get(`${url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain("secret source");
      expect(res.headers["content-type"], path).toMatch(/^application\/json/);
    }
  });
});
