import type { FastifyInstance } from "fastify";

export const BODY_LIMIT = 64 * 1024;

/**
 * The API speaks JSON only. text/plain is removed (it is what a cross-site
 * form can send without a preflight), and an empty JSON body counts as no
 * body, since clients send the header on body-less POSTs like logout.
 */
export function installJsonBody(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser(["application/json", "text/plain"]);
  app.addContentTypeParser("application/json", { parseAs: "string", bodyLimit: BODY_LIMIT }, (req, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") return done(null, undefined);
    parse(req, text, done);
  });
}
