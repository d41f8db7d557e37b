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
 * Serves the built web app when dist/web exists. Unknown GETs outside /api
 * fall back to index.html so client-side routes survive a reload; unknown
 * /api paths, source maps and other methods get a JSON 404.
 */
export async function installSpa(app: FastifyInstance, webDir: string): Promise<void> {
  const root = path.resolve(webDir);
  const hasSpa = existsSync(path.join(root, "index.html"));
  if (hasSpa) await app.register(fastifyStatic, { root, wildcard: true, index: "index.html", allowedPath: (pathName) => !isSourceMap(pathName) });

  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const isApi = req.url === "/api" || req.url.startsWith("/api/") || req.url.startsWith("/api?");
    if (hasSpa && req.method === "GET" && !isApi && !isSourceMap(req.url)) {
      return reply.type("text/html; charset=utf-8").sendFile("index.html");
    }
    return notFound(reply, isApi ? `No such API route: ${req.method} ${req.url.split("?")[0]}` : "Not found.");
  });
}
