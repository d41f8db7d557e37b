import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { type HostPolicy, isAllowedHost, requestedHost } from "./origin.js";

/**
 * Security headers on every response: the HTML, /sw.js (a service worker
 * runs under the CSP of its own script's response), static assets, the API,
 * errors and 404s. One policy for all: an API answer loaded as a document
 * gets the same lock-down as the app.
 *
 * The CSP is what the built app really needs (e2e/fixtures.ts fails any
 * journey that meets a violation): scripts, styles, fonts and workers only
 * from our origin, but for the built index.html's own inline scripts, each
 * allowed by its hash (`builtInlineScripts`: the boot script and the theme,
 * inlined so nothing holds the parser before #root, docs/first-paint.md);
 * no inline style (React's `style={}` props go through the CSSOM, which
 * `style-src` does not govern),
 * images from our origin and `data:` (the tab icon with its unread badge is
 * an SVG data URL, web/features/conversations/use-unread-title.ts), `blob:`
 * (the previews of photos not sent yet: object URLs of the files picked or
 * held in the outbox, web/features/photos), and connections to our origin
 * and to `blob:` (Chromium reports a preview whose file does not decode as a
 * connect-src load of its object URL; a blob: URL is this page's own data).
 * `'self'` covers ws:/wss: to our own host in Chromium and Firefox (CSP 3);
 * older WebKit needs the WebSocket origin spelled out, so an allowed Host adds `ws(s)://host` (a foreign one gets
 * nothing: its handshake would be refused anyway).
 */
const CSP_HEAD = "default-src 'self'; script-src 'self'";
const CSP_REST = [
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "frame-src 'none'",
  "worker-src 'self'",
  "manifest-src 'self'",
].join("; ");

/**
 * Fixed headers. Referrer-Policy `no-referrer`: Courier links out only from
 * message text, and a chat URL (a conversation id) is nobody else's
 * business; nothing of ours relies on Referer. Permissions-Policy turns off
 * the powerful features the app never uses, and allows geolocation to this
 * origin only ("Share location", issue 14: asked on that tap, never in a
 * frame); notifications and push are not policy-controlled features, so Web
 * Push is untouched.
 */
const FIXED: OutgoingHttpHeaders = {
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "permissions-policy": "camera=(), microphone=(), geolocation=(self), payment=(), usb=(), display-capture=()",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "origin-agent-cluster": "?1",
  "x-permitted-cross-domain-policies": "none",
};

/** One year; no includeSubDomains: other sites under the same domain are not ours to pin to https. */
export const HSTS = "max-age=31536000";

/** The host policy, and the hash sources of the inline scripts the served page carries now (`builtInlineScripts`). */
export type HeaderPolicy = HostPolicy & { readonly inlineScripts?: () => readonly string[] };

/**
 * The CSP hash source (`'sha256-…'`) of every inline script of `html` (a
 * `<script>` with no `src`), in order. Only what the build put there: the
 * page is ours, read from the web directory.
 */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const m of html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script\s*>/gi)) {
    if (/\ssrc\s*=/i.test(m[1] ?? "") || !m[2]) continue;
    hashes.push(`'sha256-${createHash("sha256").update(m[2], "utf8").digest("base64")}'`);
  }
  return hashes;
}

/** How often `builtInlineScripts` looks at the file again. */
const RECHECK_MS = 1_000;

/**
 * `inlineScriptHashes` of the app's index.html in `webDir` as it is now (none
 * when it is not built): the page is served from disk on every request, so a
 * build or deploy that replaces it under a running server is followed within
 * a second (its size and mtime are looked at no more often than that).
 */
export function builtInlineScripts(webDir: string, clock: () => number = Date.now): () => readonly string[] {
  const file = path.join(path.resolve(webDir), "index.html");
  let seen = "";
  let hashes: readonly string[] = [];
  let checkedAt = -Infinity;
  return () => {
    const now = clock();
    if (now - checkedAt < RECHECK_MS) return hashes;
    checkedAt = now;
    try {
      const stat = statSync(file);
      const version = `${stat.size}:${stat.mtimeMs}`;
      if (version !== seen) {
        hashes = inlineScriptHashes(readFileSync(file, "utf8"));
        seen = version;
      }
    } catch {
      // Not built (or gone mid-deploy): no inline script is allowed.
      hashes = [];
      seen = "";
    }
    return hashes;
  };
}

/** The headers for one request: the CSP names its WebSocket origin, and HSTS goes only over https. */
export function securityHeaders(req: IncomingMessage | null, policy: HeaderPolicy): OutgoingHttpHeaders {
  const named = req ? requestedHost(req, policy.trustProxy) : null;
  const https = named?.origin.startsWith("https:") ?? false;
  const ws = named && isAllowedHost(named.hostname, policy) ? ` ${https ? "wss" : "ws"}://${new URL(named.origin).host}` : "";
  const inline = policy.inlineScripts?.() ?? [];
  const scripts = inline.length ? ` ${inline.join(" ")}` : "";
  const headers: OutgoingHttpHeaders = { "content-security-policy": `${CSP_HEAD}${scripts}; ${CSP_REST}; connect-src 'self'${ws} blob:`, ...FIXED };
  if (https) headers["strict-transport-security"] = HSTS;
  return headers;
}

function apply(res: ServerResponse, headers: OutgoingHttpHeaders): void {
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value);
}

/**
 * Sets the headers on the raw response as the first thing of every request,
 * so they survive whatever answers it: routes, static files, errors, the
 * not-found handler, and hijacked responses (the SSE stream). Register it
 * before any other hook. socket.io's own HTTP answers get them through its
 * engine's `headers` event (app.ts).
 */
export function installSecurityHeaders(app: FastifyInstance, policy: HeaderPolicy): void {
  app.addHook("onRequest", async (req, reply) => {
    apply(reply.raw, securityHeaders(req.raw, policy));
  });
}

/** For responses written outside Fastify (the stand-in while starting, frameworkErrors before hooks run). */
export function setSecurityHeaders(req: IncomingMessage, res: ServerResponse, policy: HeaderPolicy): void {
  apply(res, securityHeaders(req, policy));
}
