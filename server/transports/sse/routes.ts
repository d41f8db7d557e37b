import { randomUUID } from "node:crypto";
import type { FastifyPluginAsync } from "fastify";
import { CourierError, parseCursor, STREAM_PATH, streamQuerySchema, type Versions, zeroVersions } from "../../../shared/protocol/index.js";
import type { FeatureOptions } from "../../context.js";
import { admit, helloFor, sessionAlive } from "../admit.js";
import { InFlight } from "../in-flight.js";
import { SseStream } from "./sse-stream.js";
import { SseWriter } from "./sse-writer.js";

/**
 * `GET /api/stream?device=&cursor=[&hb=1]`: the SSE transport. Everything is
 * validated while an ordinary JSON error can still be answered; only then
 * does the response become a stream.
 */
export const sseRoutes: FastifyPluginAsync<FeatureOptions> = async (app, { ctx }) => {
  const streams = new InFlight();

  // No HEAD twin: it would hold a registered stream with no body to write.
  app.get(STREAM_PATH, { exposeHeadRoute: false }, async (req, reply) => {
    const { auth, query } = await admit(ctx, req, streamQuerySchema);
    const cursor = resumeFrom(req.headers["last-event-id"]) ?? query.cursor ?? zeroVersions();

    reply.hijack();
    const res = reply.raw;
    const writer = new SseWriter(res);
    writer.open();
    const stream = new SseStream(randomUUID(), auth.user.id, query.device, auth.sessionId, cursor, {
      ctx,
      writer,
      hello: (heads) => helloFor(ctx, auth.user.id, query.device, heads, "sse"),
      sessionAlive: () => sessionAlive(ctx, req, auth),
      watchLiveness: query.hb === "1",
      log: req.log,
    });
    streams.track(res);
    res.on("close", () => stream.gone());
    // The client may have left while we were admitting it; its close event is then past.
    if (writer.gone || req.raw.socket.destroyed) return;
    stream.start().catch((err: unknown) => stream.fail(err));
  });

  // Streams are ended by the hub on shutdown; let their last bytes leave before sockets are cut.
  app.addHook("preClose", () => streams.settled());
};

/** `Last-Event-ID` (set by a reconnecting EventSource) wins over the `cursor` query. */
function resumeFrom(header: string | string[] | undefined): Versions | null {
  if (header === undefined || header === "") return null;
  const versions = typeof header === "string" ? parseCursor(header) : null;
  if (!versions) throw CourierError.badRequest("Invalid Last-Event-ID: must look like chat:<v>,system:<v>,marketing:<v>");
  return versions;
}
