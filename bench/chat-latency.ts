import { randomUUID } from "node:crypto";
import { chromium, type Browser, type Page } from "@playwright/test";
import { ApiClient, chromiumArgs, chromiumPath, startServer, summarize } from "./support.js";

/**
 * Browser-level figures for the core issue, in real Chromium against a real
 * server on loopback:
 *  - send-to-screen latency: A presses Enter, until the bubble is in B's DOM
 *    (median and p95 over `rounds` messages);
 *  - cold render of the conversation list from IndexedDB holding
 *    `storedMessages` messages, with every network request held back.
 */
export async function chatLatency(opts: { port: number; rounds: number; storedMessages: number }) {
  const server = await startServer(opts.port);
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  try {
    const latency: Record<string, ReturnType<typeof summarize>> = {};
    // Each transport forced in both windows (`?transport=`), one after the other.
    for (const transport of ["ws", "sse", "poll"] as const) {
      latency[transport] = await sendToScreen(browser, server.url, opts.rounds, transport);
    }
    return {
      latency,
      coldList: await coldListRender(browser, server.url, opts.storedMessages),
    };
  } finally {
    await browser.close();
    await server.stop();
  }
}

async function signedInPage(
  browser: Browser,
  url: string,
  username: string,
  transport = "ws",
): Promise<{ page: Page; api: ApiClient; id: string }> {
  const context = await browser.newContext({ baseURL: url });
  const res = await context.request.post("/api/auth/register", {
    data: { username, password: "bench password", displayName: username },
  });
  const { user, token } = (await res.json()) as { user: { id: string }; token: string };
  const page = await context.newPage();
  await page.goto(`/?transport=${transport}`);
  await page.getByTestId("connection-status").and(page.locator(`[data-state="online"][data-transport="${transport}"]`)).waitFor();
  return { page, api: new ApiClient(url, token), id: user.id };
}

async function sendToScreen(browser: Browser, url: string, rounds: number, transport: string) {
  const suffix = randomUUID().slice(0, 6);
  const a = await signedInPage(browser, url, `lat_a_${suffix}`, transport);
  const b = await signedInPage(browser, url, `lat_b_${suffix}`, transport);
  const { conversation } = await a.api.call<{ conversation: { id: string } }>("POST", "/api/conversations", {
    type: "direct",
    peerId: b.id,
  });
  for (const p of [a.page, b.page]) {
    await p.getByTestId("conversation-item").first().click();
    await p.getByTestId("conversation").waitFor();
  }
  // B timestamps each bubble the moment it enters the DOM.
  await b.page.evaluate(() => {
    const seen: Record<string, number> = {};
    (window as unknown as { __seen: Record<string, number> }).__seen = seen;
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[data-testid="message-text"]')) {
        const text = el.textContent ?? "";
        if (text.startsWith("lat-") && !(text in seen)) seen[text] = Date.now();
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  const composer = a.page.getByLabel("Message", { exact: true });
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const text = `lat-${conversation.id.slice(0, 4)}-${i}`;
    await composer.fill(text);
    const sentAt = Date.now();
    await composer.press("Enter");
    const seenAt = await b.page.waitForFunction(
      (t) => (window as unknown as { __seen: Record<string, number> }).__seen[t] ?? 0,
      text,
      { polling: 5 },
    );
    samples.push((await seenAt.jsonValue()) - sentAt);
  }
  await a.page.context().close();
  await b.page.context().close();
  return summarize(samples);
}

async function coldListRender(browser: Browser, url: string, storedMessages: number) {
  const suffix = randomUUID().slice(0, 6);
  const reader = await signedInPage(browser, url, `list_r_${suffix}`);
  // 50 peers × storedMessages/50 messages, seeded over HTTP.
  const perPeer = Math.ceil(storedMessages / 50);
  for (let p = 0; p < 50; p++) {
    const peer = new ApiClient(url);
    const res = await peer.call<{ token: string }>("POST", "/api/auth/register", {
      username: `list_p${p}_${suffix}`,
      password: "bench password",
    });
    peer.token = res.token;
    const { conversation } = await peer.call<{ conversation: { id: string } }>("POST", "/api/conversations", {
      type: "direct",
      peerId: reader.id,
    });
    await Promise.all(
      Array.from({ length: perPeer }, (_, i) =>
        peer.call("POST", "/api/messages", {
          clientMsgId: randomUUID(),
          conversationId: conversation.id,
          kind: "text",
          body: `Seeded message ${i} from peer ${p}`,
        }),
      ),
    );
  }
  // Wait until the reader's IndexedDB holds every message.
  await reader.page.waitForFunction(
    (n) => {
      const probe = (window as unknown as { __courier?: { versions(): { chat: number } } }).__courier;
      return probe ? probe.versions().chat >= n : false;
    },
    storedMessages,
    { timeout: 120_000, polling: 200 },
  );
  // Hold the network: the list must come from IndexedDB alone.
  await reader.page.route("**/api/**", () => new Promise(() => {}));
  await reader.page.routeWebSocket(/socket\.io/, () => {});
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    await reader.page.reload({ waitUntil: "commit" });
    await reader.page.getByTestId("conversation-item").nth(49).waitFor();
    samples.push(await reader.page.evaluate(() => performance.now()));
  }
  return { storedMessages, conversations: 50, ...summarize(samples) };
}
