import type { FastifyInstance } from "fastify";
import type { Socket } from "socket.io";
import type { CourierIo } from "../transports/ws/ws-transport.js";

/**
 * Every door of a built app, read from the app itself so that a route or a
 * socket event added tomorrow is fuzzed without anyone listing it here.
 */
export interface Route {
  method: string;
  /** Fastify's pattern, params as `:name` (`/api/conversations/:id/read`). */
  url: string;
}

const BRANCH = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/;

/**
 * The routes of `app`, from `printRoutes()`: a radix tree in which each line
 * continues its parent's path (`/api/me` then `ssages` is `/api/messages`)
 * and a node several routes name differently reads `:deviceId|:id`.
 */
export function routesOf(app: FastifyInstance): Route[] {
  const routes: Route[] = [];
  const prefixes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split("\n")) {
    const m = BRANCH.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const url = (prefixes[depth - 1] ?? "") + m[2]!.replace(/(:[A-Za-z0-9_]+)(\|:[A-Za-z0-9_]+)+/g, "$1");
    prefixes[depth] = url;
    prefixes.length = depth + 1;
    // HEAD twins answer as their GET does, without a body: nothing more to learn.
    for (const method of (m[3] ?? "").split(", ").filter((x) => x && x !== "HEAD")) routes.push({ method, url });
  }
  return routes;
}

/** socket.io's own events, which no client sends. */
const RESERVED = new Set(["disconnect", "disconnecting", "error", "newListener", "removeListener"]);

/**
 * The events a connected socket listens to, read from the first socket the
 * server accepts after this call (its handlers are attached synchronously on
 * connection, before this listener runs).
 */
export function socketEventsOf(io: CourierIo): Promise<string[]> {
  return new Promise((resolve) => {
    const seen = (socket: Socket) => {
      io.off("connection", seen);
      resolve(socket.eventNames().map(String).filter((name) => !RESERVED.has(name)));
    };
    io.on("connection", seen);
  });
}
