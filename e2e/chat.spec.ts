import type { Browser } from "@playwright/test";
import {
  appUrl,
  bubbleTexts,
  createListing,
  cuttableSocket,
  expect,
  expectOnline,
  goOffline,
  messages,
  openConversation,
  PASSWORD,
  send,
  signUp,
  startDirectChat,
  test,
  uniqueUsername,
  type CourierOptions,
  type Person,
} from "./fixtures.js";

/** A (buyer) asks B (seller) about B's listing; both end up in the item conversation. */
async function marketplacePair(browser: Browser, name: string, transport: CourierOptions["transport"]) {
  const seller = await signUp(browser, "seller", "Berta Seller", transport);
  const buyer = await signUp(browser, "buyer", "Anton Buyer", transport);
  // Every project shares one server: keep this test's listing apart from the others'.
  const listing = `${name} ${seller.username.slice(-4)}`;
  await createListing(seller.page, listing, "45.00");

  await buyer.page.getByRole("button", { name: "Listings" }).click();
  const card = buyer.page.getByTestId("listing-card").filter({ hasText: listing });
  await card.getByRole("button", { name: "Ask the seller" }).click();
  await expect(buyer.page.getByTestId("item-panel")).toContainText(listing);
  return { buyer, seller, listing };
}

async function closeAll(...people: Person[]) {
  for (const p of people) await p.context.close();
}

test("buyer and seller chat about a listing both ways and run the order flow", async ({ browser, transport }) => {
  const { buyer, seller } = await marketplacePair(browser, "Green city bike", transport);
  // How fast each sees the other's is measured by `npm run bench` (browser
  // suite: send → other window's screen, per transport), not timed here: two
  // browsers and the server share two cores in CI, and a test must not fail
  // on a busy machine. Here: it arrives, once, in order.
  await send(buyer.page, "Hi! Is the bike still available?");
  await expect(messages(buyer.page).last()).toHaveAttribute("data-status", /sent|delivered|read/);

  // The seller gets the new conversation and the message.
  await seller.page.getByRole("button", { name: "Chats" }).click();
  await expect(seller.page.getByTestId("conversation-item").filter({ hasText: "Anton Buyer" })).toBeVisible();
  await openConversation(seller.page, "Anton Buyer");
  await expect(seller.page.getByTestId("item-panel")).toContainText("Green city bike");
  await expect.poll(() => bubbleTexts(seller.page)).toEqual(["Hi! Is the bike still available?"]);

  await send(seller.page, "Yes it is.\nCome by tomorrow?");
  await expect.poll(() => bubbleTexts(buyer.page)).toEqual([
    "Hi! Is the bike still available?",
    "Yes it is.\nCome by tomorrow?",
  ]);

  // The buyer's first message reached the seller's device and was read there.
  await expect(messages(buyer.page).filter({ hasText: "still available" })).toHaveAttribute("data-status", "read");

  // Order flow: Buy (asks first, with the price) → Mark shipped → Confirm received, visible on both sides.
  await buyer.page.getByRole("button", { name: "Buy" }).click();
  await buyer.page.getByTestId("buy-dialog").getByRole("button", { name: "Buy", exact: true }).click();
  for (const p of [buyer.page, seller.page]) {
    await expect(p.getByTestId("order-status")).toHaveAttribute("data-status", "bought");
  }
  await seller.page.getByRole("button", { name: "Mark shipped" }).click();
  for (const p of [buyer.page, seller.page]) {
    await expect(p.getByTestId("order-status")).toHaveAttribute("data-status", "shipped");
  }
  await buyer.page.getByRole("button", { name: "Confirm received" }).click();
  for (const p of [buyer.page, seller.page]) {
    await expect(p.getByTestId("order-status")).toHaveAttribute("data-status", "received");
    await expect(p.getByTestId("message-list").locator('[data-kind="system"]')).toHaveCount(3);
  }
  await expect(seller.page.getByRole("button", { name: "Mark shipped" })).toHaveCount(0);

  await closeAll(buyer, seller);
});

test("after a reload the whole history shows from IndexedDB before the network answers", async ({ browser, transport }) => {
  const { buyer, seller } = await marketplacePair(browser, "Oak bookshelf", transport);
  const lines = Array.from({ length: 12 }, (_, i) => `Message number ${i + 1}`);
  for (const line of lines) await send(buyer.page, line);
  await seller.page.getByRole("button", { name: "Chats" }).click();
  await openConversation(seller.page, "Anton Buyer");
  await expect.poll(() => bubbleTexts(seller.page)).toEqual(lines);

  // Hold every request to the server until the test lets go, after it has
  // seen the whole history: what it saw came from IndexedDB (no race between a
  // timed hold and a timed look).
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await seller.page.route("**/api/**", async (route) => {
    await held;
    await route.continue().catch(() => {});
  });
  await seller.page.routeWebSocket(/\/socket\.io\//, async (ws) => {
    await held;
    ws.connectToServer();
  });

  await seller.page.reload({ waitUntil: "commit" });
  await openConversation(seller.page, "Anton Buyer");
  await expect.poll(() => bubbleTexts(seller.page)).toEqual(lines);
  await expect(seller.page.getByTestId("item-panel")).toContainText("Oak bookshelf");
  await expect(seller.page.getByTestId("connection-status")).not.toHaveAttribute("data-state", "online");

  // Once the network answers, the app goes online and keeps chatting.
  release();
  await expectOnline(seller.page, transport);
  await send(buyer.page, "Still there?");
  await expect.poll(() => bubbleTexts(seller.page)).toEqual([...lines, "Still there?"]);

  await closeAll(buyer, seller);
});

test("a recipient who was offline gets all 30 messages sent meanwhile, once each and in order", async ({ browser, transport }) => {
  const { buyer, seller } = await marketplacePair(browser, "Vintage camera", transport);
  await send(buyer.page, "Before the cut");
  await seller.page.getByRole("button", { name: "Chats" }).click();
  await openConversation(seller.page, "Anton Buyer");
  await expect.poll(() => bubbleTexts(seller.page)).toEqual(["Before the cut"]);

  // On WebSocket, re-route the seller's socket through a switch we control
  // (reloading so the live connection goes through it), then cut it.
  let socket: Awaited<ReturnType<typeof cuttableSocket>> | undefined;
  if (transport === "ws") {
    socket = await cuttableSocket(seller.page);
    await seller.page.reload();
    await expectOnline(seller.page, transport);
  }
  const backOnline = await goOffline(seller, socket);
  await openConversation(seller.page, "Anton Buyer");
  await expect.poll(() => bubbleTexts(seller.page)).toEqual(["Before the cut"]);

  const burst = Array.from({ length: 30 }, (_, i) => `Offline message ${String(i + 1).padStart(2, "0")}`);
  for (const line of burst) await send(buyer.page, line);
  await expect(messages(buyer.page).last()).toHaveAttribute("data-status", "sent");
  // Nothing reaches the seller while offline.
  expect(await bubbleTexts(seller.page)).toEqual(["Before the cut"]);

  await backOnline();
  await expectOnline(seller.page, transport);
  await expect.poll(() => bubbleTexts(seller.page), { timeout: 15_000 }).toEqual(["Before the cut", ...burst]);
  // Exactly once: no duplicate bubbles, and the seqs on screen are strictly increasing.
  const seqs = await messages(seller.page).evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-seq"))));
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(new Set(seqs).size).toBe(seqs.length);

  await closeAll(buyer, seller);
});

test("sign-up shows clear errors and a direct chat can be started from user search", async ({ browser, transport }) => {
  // The sign-up form itself (other journeys make their accounts over HTTP: fixtures.ts signUp).
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(appUrl(transport));
  await page.getByRole("tab", { name: "Create account" }).click();
  await page.getByLabel("Username").fill("Bad Name!");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("alert")).toContainText(/username|password/i);
  // Corrected, the same form creates the account and opens the app.
  const username = uniqueUsername("alice");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Display name").fill("Alice Direct");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("current-user")).toHaveText("Alice Direct");
  await expectOnline(page, transport);
  const alice: Person = { context, page, username, displayName: "Alice Direct", transport };

  const bob = await signUp(browser, "bob", "Bob Direct", transport);
  await startDirectChat(alice, bob);
  // Message text is shown as text, never interpreted as HTML.
  await send(alice.page, "<b>hello</b> <img src=x onerror=alert(1)>");
  await openConversation(bob.page, "Alice Direct");
  await expect.poll(() => bubbleTexts(bob.page)).toEqual(["<b>hello</b> <img src=x onerror=alert(1)>"]);
  await expect(bob.page.getByTestId("message-list").locator("b, img")).toHaveCount(0);

  // Shift+Enter makes a new line instead of sending.
  const composer = bob.page.getByLabel("Message", { exact: true });
  await composer.fill("line one");
  await composer.press("Shift+Enter");
  await composer.pressSequentially("line two");
  await composer.press("Enter");
  await expect.poll(() => bubbleTexts(alice.page)).toEqual(["<b>hello</b> <img src=x onerror=alert(1)>", "line one\nline two"]);

  await closeAll(alice, bob);
});
