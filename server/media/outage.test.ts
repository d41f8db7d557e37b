import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres } from "../../scripts/provision/postgres.js";
import type { RunningService } from "../../scripts/provision/service.js";
import { DEFAULT_MEDIA_CONFIG } from "../config.js";
import { eventually, register, startServer, type TestServer } from "../testing/harness.js";
import { testEngine } from "../testing/engines.js";
import { download, plainImage, upload, uploaded } from "./testing.js";

/**
 * Photos while PostgreSQL is away (the database media store): uploads and
 * downloads answer 503 with Retry-After, never 500, and work again once it is
 * back. A PostgreSQL of its own, since this test stops it; run once, in the
 * unit project (the server-on-postgres project would only run it again).
 */
describe.skipIf(testEngine === "postgres")("photos with PostgreSQL down and back", () => {
  let pg: RunningService;
  let server: TestServer;

  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.dispose();
    pg?.stop();
  });

  it("answers 503 unavailable to uploads and downloads while the database is down, and serves the same bytes once it is back", async () => {
    server = await startServer({ databaseUrl: pg.url, media: { ...DEFAULT_MEDIA_CONFIG, store: "database" } });
    const alice = await register(server.app, "alice");
    const png = await plainImage("png");
    const photo = await uploaded(server.app, alice, png);
    const before = await download(server.app, photo.url, alice);
    expect(before.status).toBe(200);

    await pg.pause!();
    for (const res of [await download(server.app, photo.url, alice), await download(server.app, photo.thumbUrl, alice)]) {
      expect(res.status).toBe(503);
      expect(JSON.parse(res.bytes.toString())).toMatchObject({ error: { code: "unavailable" } });
      expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    }
    const refused = await upload(server.app, alice, png);
    expect([refused.status, refused.body.error?.code]).toEqual([503, "unavailable"]);

    await pg.resume!();
    await eventually(async () => (await download(server.app, photo.url, alice)).status === 200, 20_000);
    expect((await download(server.app, photo.url, alice)).bytes.equals(before.bytes)).toBe(true);
    expect((await upload(server.app, alice, png)).status).toBe(201);
  }, 60_000);
});
