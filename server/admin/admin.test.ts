import { afterEach, describe, expect, it } from "vitest";
import { CampaignPace, campaignStep } from "./campaigns.js";
import { campaignFingerprint } from "./routes.js";
import { call, pullAll, register, startServer, type Session, type TestServer } from "../testing/harness.js";

let server: TestServer;
afterEach(async () => server?.dispose());

const TOKEN = "admin-token-0123456789abcdef";
const campaign = (body: unknown, token = TOKEN, headers: Record<string, string> = {}) =>
  call<{ campaign?: { id: string; recipients: number }; error?: { code: string; message: string } }>(server.app, "POST", "/api/admin/campaigns", {
    headers: { authorization: `Bearer ${token}`, ...headers },
    body,
  });
const withKey = (body: unknown, key: string) => campaign(body, TOKEN, { "idempotency-key": key });

/** Each user's marketing entries, as the campaign ids they carry. */
async function received(users: Session[]): Promise<string[][]> {
  return Promise.all(users.map(async (u) => (await pullAll(server.app, u, "marketing")).entries.map((e) => (e.data as { campaignId: string }).campaignId)));
}

describe("admin campaigns", () => {
  it("does not exist without ADMIN_TOKEN", async () => {
    server = await startServer({ adminToken: null });
    const res = await campaign({ title: "Sale", body: "Now" });
    expect(res.status).toBe(404);
    expect(res.body.error?.code).toBe("not_found");
  });

  it("needs the admin token, never a user session", async () => {
    server = await startServer({ adminToken: TOKEN });
    const alice = await register(server.app, "alice");
    expect((await campaign({ title: "Sale", body: "Now" }, "wrong-token-0123456789")).status).toBe(401);
    expect((await campaign({ title: "Sale", body: "Now" }, alice.token)).status).toBe(401);
    expect((await call(server.app, "POST", "/api/admin/campaigns", { body: { title: "Sale", body: "Now" } })).status).toBe(401);
  });

  it("validates the campaign: in-app links only", async () => {
    server = await startServer({ adminToken: TOKEN });
    for (const body of [
      {},
      { title: "", body: "x" },
      { title: "x", body: "y".repeat(501) },
      { title: "x", body: "y", url: "https://evil.example/" },
      { title: "x", body: "y", url: "//evil.example/" },
      { title: "x", body: "y", url: "/\\evil.example" },
      { title: "x", body: "y", extra: true },
    ]) {
      const res = await campaign(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error?.code).toBe("bad_request");
    }
  });

  it("appends one promo entry to every user's marketing domain, in batches", async () => {
    server = await startServer({ adminToken: TOKEN });
    const users = [];
    for (let i = 0; i < 3; i++) users.push(await register(server.app));
    const res = await campaign({ title: "Spring sale", body: "Half price", url: "/#/items" });
    expect(res.status).toBe(201);
    expect(res.body.campaign).toMatchObject({ title: "Spring sale", body: "Half price", url: "/#/items", recipients: 3 });
    for (const u of users) {
      const { entries } = await pullAll(server.app, u, "marketing");
      expect(entries).toEqual([
        expect.objectContaining({ d: "marketing", v: 1, k: "promo", data: { campaignId: res.body.campaign!.id, title: "Spring sale", body: "Half price", url: "/#/items" } }),
      ]);
    }
  });

  it("sends a campaign once per Idempotency-Key: a repeat answers 200 with the same campaign and appends nothing", async () => {
    server = await startServer({ adminToken: TOKEN });
    const users = [await register(server.app), await register(server.app)];
    const sale = { title: "Spring sale", body: "Half price" };
    const first = await withKey(sale, "spring-2026");
    expect(first.status).toBe(201);
    const again = await withKey(sale, "spring-2026");
    expect(again.status).toBe(200);
    expect(again.body.campaign).toEqual(first.body.campaign);
    expect(await received(users)).toEqual([[first.body.campaign!.id], [first.body.campaign!.id]]);
    // Without a key, the same content is a new campaign.
    const other = await campaign(sale);
    expect(other.status).toBe(201);
    expect(other.body.campaign!.id).not.toBe(first.body.campaign!.id);
  });

  it("refuses a key reused for other content, and a malformed key, changing nothing", async () => {
    server = await startServer({ adminToken: TOKEN });
    const users = [await register(server.app)];
    const first = await withKey({ title: "Sale", body: "Now" }, "k1");
    const reused = await withKey({ title: "Sale", body: "Later" }, "k1");
    expect(reused.status).toBe(409);
    expect(reused.body.error).toEqual({ code: "conflict", message: "This Idempotency-Key was used for a different campaign." });
    for (const key of ["", "has space", "x".repeat(201), "é"]) {
      const bad = await withKey({ title: "Sale", body: "Now" }, key);
      expect(bad.status, JSON.stringify(key)).toBe(400);
      expect(bad.body.error?.message).toBe("Idempotency-Key must be 1 to 200 visible ASCII characters.");
    }
    expect(await received(users)).toEqual([[first.body.campaign!.id]]);
  });

  it("finishes a campaign cut short when its request is retried: every user once, none skipped", async () => {
    server = await startServer({ adminToken: TOKEN });
    const users = [];
    for (let i = 0; i < 5; i++) users.push(await register(server.app));
    // The first request reached two users, then its process died: what it stored is all that is left of it.
    const autumn = { title: "Autumn", body: "Leaves" };
    await server.storage.write(async (tx) => tx.campaigns.open({ id: "c-cut", key: "autumn", fingerprint: campaignFingerprint(autumn), ...autumn }, Date.now()));
    const cut = await server.storage.write((tx) => campaignStep(tx, "c-cut", 2, Date.now()));
    expect(cut).toMatchObject({ recipients: 2, done: false });

    const retried = await withKey(autumn, "autumn");
    expect(retried.status).toBe(200);
    expect(retried.body.campaign).toEqual({ id: "c-cut", ...autumn, recipients: 5 });
    expect(await received(users)).toEqual(users.map(() => ["c-cut"]));
  });

  it("two identical requests at once reach every user exactly once", async () => {
    server = await startServer({ adminToken: TOKEN });
    const users = [];
    for (let i = 0; i < 4; i++) users.push(await register(server.app));
    const sale = { title: "Flash", body: "One hour" };
    const [a, b] = await Promise.all([withKey(sale, "flash"), withKey(sale, "flash")]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.body.campaign).toEqual(b.body.campaign);
    expect(a.body.campaign!.recipients).toBe(4);
    expect(await received(users)).toEqual(users.map(() => [a.body.campaign!.id]));
  });
});

describe("campaign pace (marketing never delays chat)", () => {
  it("sizes each step to the time budget from the last one, at most halving or doubling, within its bounds, and rests as long as the step took", () => {
    const pace = new CampaignPace(5, { first: 50, min: 10, max: 500 });
    expect(pace.limit).toBe(50);
    // 50 users in 25 ms: five times the budget; the next step is half as large, not a fifth.
    expect(pace.stepTook(50, 25)).toBe(25);
    expect(pace.limit).toBe(25);
    // A busy database keeps shrinking it, never below the floor.
    for (let i = 0; i < 10; i++) pace.stepTook(pace.limit, 100);
    expect(pace.limit).toBe(10);
    // Fast steps grow it, doubling at most, up to the ceiling.
    pace.stepTook(10, 0.5);
    expect(pace.limit).toBe(20);
    for (let i = 0; i < 10; i++) pace.stepTook(pace.limit, 0.5);
    expect(pace.limit).toBe(500);
    // On budget: unchanged.
    pace.stepTook(500, 5);
    expect(pace.limit).toBe(500);
  });
});
