import { afterEach, describe, expect, it } from "vitest";
import { call, pullAll, register, startServer, type TestServer } from "../testing/harness.js";

let server: TestServer;
afterEach(async () => server?.dispose());

const TOKEN = "admin-token-0123456789abcdef";
const campaign = (body: unknown, token = TOKEN) =>
  call<{ campaign?: { id: string; recipients: number }; error?: { code: string; message: string } }>(server.app, "POST", "/api/admin/campaigns", {
    headers: { authorization: `Bearer ${token}` },
    body,
  });

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
});
