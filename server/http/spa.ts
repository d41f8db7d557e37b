import { existsSync } from "node:fs";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { notFound } from "./errors.js";

/**
 * Source maps (vite.config.ts builds them `hidden`: on disk for profiling
 * and crash analysis, named by no bundle) are never served: they would hand
 * out the app's source.
 */
export const isSourceMap = (pathName: string): boolean => pathName.split("?", 1)[0]!.toLowerCase().endsWith(".map");

/**
 * A request for a file (its last segment has an extension: /manifest.json,
 * /assets/main-old.js, /favicon.ico). Courier's routes live in the URL's hash
 * (web/stores/ui.ts), so a path like this is never a client route: when no
 * such file exists it is a 404, not the app's HTML, which a browser would
 * take for a broken manifest, script or image.
 */
export const isFilePath = (url: string): boolean => /\.[a-z][a-z0-9]{0,11}$/i.test(url.split(/[?#]/, 1)[0]!);

/** The admin dashboard's page (vite.config.ts builds it as its own entry, web/admin/index.html). */
export const ADMIN_PAGE = "admin/index.html";

/** `/admin`, `/admin/` and anything under it (with or without a query) is the admin page, never the app. */
export const isAdminPath = (url: string): boolean => /^\/admin(?:[/?#]|$)/.test(url);

/**
 * Serves the built web app when dist/web exists. Unknown GETs outside /api
 * fall back to index.html so client-side routes survive a reload, those under
 * /admin to the admin page (a second bundle: nothing of it is in the app's);
 * unknown /api paths, missing files (`isFilePath`), source maps and other
 * methods get a JSON 404.
 */
export async function installSpa(app: FastifyInstance, webDir: string): Promise<void> {
  const root = path.resolve(webDir);
  const hasSpa = existsSync(path.join(root, "index.html"));
  const hasAdmin = existsSync(path.join(root, ADMIN_PAGE));
  if (hasSpa) await app.register(fastifyStatic, { root, wildcard: true, index: "index.html", allowedPath: (pathName) => !isSourceMap(pathName) });
  // Before the static files' wildcard, which would send the admin folder's index without a Content-Type.
  if (hasSpa && hasAdmin) {
    for (const url of ["/admin", "/admin/"]) app.get(url, (_req, reply) => reply.type("text/html; charset=utf-8").sendFile(ADMIN_PAGE));
  }

  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const isApi = req.url === "/api" || req.url.startsWith("/api/") || req.url.startsWith("/api?");
    if (hasSpa && req.method === "GET" && !isApi && !isFilePath(req.url)) {
      return reply.type("text/html; charset=utf-8").sendFile(hasAdmin && isAdminPath(req.url) ? ADMIN_PAGE : "index.html");
    }
    return notFound(reply, isApi ? `No such API route: ${req.method} ${req.url.split("?")[0]}` : "Not found.");
  });
}
