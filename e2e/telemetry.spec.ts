import { bubble, expect, openConversation, send, signUp, startDirectChat, test } from "./fixtures.js";

/**
 * Client telemetry (issue 15, docs/protocol.md "Telemetry"): a real browser
 * times a message shown live (receive → paint), not one already on screen
 * when the chat opened, and reports it when the page goes away; /metrics
 * counts it.
 */

/** A series' value in the server's exposition (loopback: no token needed), 0 when absent. */
async function series(request: { get(url: string): Promise<{ text(): Promise<string> }> }, name: string): Promise<number> {
  const text = await (await request.get("/metrics")).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

test("a message shown live is timed from its push to the paint, and the report goes out as the page is left", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann Telemetry", transport);
  const bo = await signUp(browser, "bo", "Bo Telemetry", transport);
  await startDirectChat(ann, bo);
  await send(ann.page, "already here when Bo opens the chat");
  await openConversation(bo.page, "Ann Telemetry");
  await expect(bubble(bo.page, "already here when Bo opens the chat")).toBeVisible();
  const series0 = await series(bo.page.request, 'courier_client_render_seconds_count{transport="ws"}');

  await send(ann.page, "arrives while Bo watches");
  await expect(bubble(bo.page, "arrives while Bo watches")).toBeVisible();
  // Sent at once on pagehide (not after the 30 s batch interval).
  const reported = bo.page.waitForRequest((r) => r.method() === "POST" && new URL(r.url()).pathname === "/api/telemetry", { timeout: 5_000 });
  const answered = bo.page.waitForResponse((r) => new URL(r.url()).pathname === "/api/telemetry", { timeout: 5_000 });
  await bo.page.evaluate(() => window.dispatchEvent(new Event("pagehide")));

  const report = (await reported).postDataJSON() as { transport: string; renderMs: number[]; outboxMs: number[] };
  expect((await answered).status()).toBe(204);
  expect(report.transport).toBe("ws");
  // One message timed: the one that arrived live, not the one on screen when the chat opened.
  expect(report.renderMs).toHaveLength(1);
  expect(report.renderMs[0]).toBeGreaterThanOrEqual(0);
  expect(report.renderMs[0]).toBeLessThan(5_000);
  test.info().annotations.push({ type: "receive → paint", description: `${report.renderMs[0]} ms` });
  // No text and no ids travel: numbers and transport names only.
  expect(JSON.stringify(report)).not.toContain("arrives while");
  // The e2e server is shared with tests running beside this one, whose pages report too: at least ours.
  expect(await series(bo.page.request, 'courier_client_render_seconds_count{transport="ws"}')).toBeGreaterThanOrEqual(series0 + 1);
});
