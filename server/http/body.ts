import type { FastifyInstance } from "fastify";
import { CourierError } from "../../shared/protocol/index.js";

export const BODY_LIMIT = 64 * 1024;

/** Fatal: a byte sequence that is not UTF-8 fails the request instead of becoming U+FFFD unseen. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The API speaks JSON only. text/plain is removed (it is what a cross-site
 * form can send without a preflight), and an empty JSON body counts as no
 * body, since clients send the header on body-less POSTs like logout. The
 * body must be UTF-8 (RFC 8259): invalid bytes are a 400, never silently
 * replaced, so what a client sent is what is stored.
 */
export function installJsonBody(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser(["application/json", "text/plain"]);
  app.addContentTypeParser("application/json", { parseAs: "buffer", bodyLimit: BODY_LIMIT }, (req, body, done) => {
    let text: string;
    try {
      text = typeof body === "string" ? body : utf8.decode(body);
    } catch {
      return done(CourierError.badRequest("Request body is not valid UTF-8."), undefined);
    }
    if (text.trim() === "") return done(null, undefined);
    parse(req, text, done);
  });
}
