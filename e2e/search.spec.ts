import { randomUUID } from "node:crypto";
import type { Page, Route } from "@playwright/test";
import { createListing, expect, send, signIn, signUp, startDirectChat, test, type Person } from "./fixtures.js";

/**
 * Search (issue 13, docs/messages.md): this device's index answers at once,
 * labelled, and the server's search brings history the device does not hold
 * (a new device's snapshot has the newest 50 messages of a conversation);
 * a result opens the conversation at its message.
 */

const OLD = "那辆旧自行车还在吗？";
const RECENT = "好的，明天下午见面";

async function post(person: Person, conversationId: string, body: string): Promise<void> {
  const origin = new URL(person.page.url()).origin;
  const res = await person.context.request.post("/api/messages", {
    headers: { origin },
    data: { clientMsgId: randomUUID(), conversationId, kind: "text", body },
  });
  expect(res.status()).toBe(201);
}

/** Holds the server's search answers until `release` (each one given as it came, then passed through). */
async function holdSearch(page: Page) {
  const held: Route[] = [];
  let open = false;
  await page.route("**/api/search?**", (route) => (open ? route.fallback() : void held.push(route)));
  return {
    async release() {
      open = true;
      for (const route of held.splice(0)) await route.fallback();
    },
  };
}

/** Takes messages with this text out of the page's local store (IndexedDB), as if the device never had them. */
async function forgetOnDevice(page: Page, body: string): Promise<number> {
  return page.evaluate(async (text) => {
    const request = <T>(r: IDBRequest<T>) => new Promise<T>((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
    let removed = 0;
    for (const { name } of await indexedDB.databases()) {
      if (!name?.startsWith("courier-")) continue;
      const open = indexedDB.open(name);
      const db = await request(open);
      if (db.objectStoreNames.contains("messages")) {
        const store = db.transaction("messages", "readwrite").objectStore("messages");
        for (const row of (await request(store.getAll())) as { id: string; body: string }[]) {
          if (row.body === text) {
            await request(store.delete(row.id));
            removed++;
          }
        }
      }
      db.close();
    }
    return removed;
  }, body);
}

function results(page: Page) {
  return page.getByTestId("search-dialog").getByTestId("search-result");
}

test("a Chinese word is found on this device at once, older history from the server, and a result opens at its message", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral (search, history and quotes go over HTTP): runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann Buyer", transport);
  const bob = await signUp(browser, "bob", "Bob Seller", transport);
  await startDirectChat(bob, ann);
  const conversationId = (await bob.page.getByTestId("conversation").getAttribute("data-conversation-id"))!;
  // The old question, then enough that a new device's snapshot (the newest 50) leaves it out.
  await post(bob, conversationId, OLD);
  for (let i = 1; i <= 55; i++) await post(bob, conversationId, `Filler ${i}`);
  await post(bob, conversationId, RECENT);

  // Ann's phone holds only recent history (as a device does after a snapshot of a trimmed log): the old question is not on it.
  const phone = await signIn(browser, ann, transport);
  const { page } = phone;
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByTestId("conversation-item").filter({ hasText: "Bob Seller" })).toContainText(RECENT);
  expect(await forgetOnDevice(page, OLD)).toBe(1);
  const server = await holdSearch(page);

  await page.getByTestId("global-search").click();
  const dialog = page.getByTestId("search-dialog");
  await expect(dialog).toBeVisible();
  // On a phone the search takes the screen.
  expect(await dialog.boundingBox()).toMatchObject({ x: 0, y: 0, width: 390, height: 844 });
  await page.getByTestId("search-input").fill("见面");
  // This device's result, labelled, while the server has not answered (a spinner says it is still looking).
  const recent = results(page).filter({ hasText: RECENT });
  await expect(recent).toHaveAttribute("data-source", "device");
  await expect(recent).toContainText("On this device");
  await expect(recent.locator("mark")).toHaveText("见面");
  await expect(page.getByTestId("search-status")).toContainText("Searching older messages");
  await server.release();
  await expect(page.getByTestId("search-status")).not.toContainText("Searching");
  await expect(results(page)).toHaveCount(1);
  await page.screenshot({ path: test.info().outputPath("search-phone-local.png") });

  // Two characters of the old question: only the server has it.
  await page.getByTestId("search-input").fill("还在");
  const old = results(page).filter({ hasText: OLD });
  await expect(old).toHaveAttribute("data-source", "server");
  await expect(old).not.toContainText("On this device");
  await expect(old.locator("mark")).toHaveText("还在");
  await expect(old).toContainText("Bob Seller");
  await page.screenshot({ path: test.info().outputPath("search-phone-server.png") });

  // The keyboard opens it: ↓ chooses, Enter opens the conversation at that message.
  await page.getByTestId("search-input").press("ArrowDown");
  await expect(old).toHaveAttribute("aria-selected", "true");
  await page.getByTestId("search-input").press("Enter");
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId("conversation")).toHaveAttribute("data-conversation-id", conversationId);
  await expect(page.getByTestId("message-list").getByText(OLD)).toBeInViewport();
  await page.screenshot({ path: test.info().outputPath("search-phone-opened.png") });

  for (const p of [ann, bob, phone]) await p.context.close();
});

test("a result from an item chat is named by its listing, as the list names the chat: two listings of one seller are two results apart", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const seller = await signUp(browser, "carl", "Carl Seller", transport);
  const buyer = await signUp(browser, "dora", "Dora Buyer", transport);
  const tag = seller.username.slice(-4);
  const listings = [`Red bicycle ${tag}`, `Blue kettle ${tag}`];
  for (const listing of listings) await createListing(seller.page, listing, "20.00");
  for (const listing of listings) {
    await buyer.page.getByRole("button", { name: "Listings", exact: true }).click();
    await buyer.page.getByTestId("listing-card").filter({ hasText: listing }).getByRole("button", { name: "Ask the seller" }).click();
    await expect(buyer.page.getByTestId("item-panel")).toContainText(listing);
    await send(buyer.page, `Can I pick up the ${listing.split(" ")[1]} tomorrow?`);
    await expect(buyer.page.getByTestId("message-list").getByText("tomorrow?")).toBeVisible();
  }

  for (const [person, other] of [
    [buyer, "Carl Seller"],
    [seller, "Dora Buyer"],
  ] as const) {
    await person.page.getByRole("button", { name: "Chats" }).click();
    await person.page.getByTestId("global-search").click();
    await person.page.getByTestId("search-input").fill("tomorrow");
    await expect(results(person.page)).toHaveCount(2);
    for (const listing of listings) {
      const result = results(person.page).filter({ hasText: `the ${listing.split(" ")[1]} tomorrow` });
      await expect(result.locator(".search-result-conversation")).toHaveText(listing);
      await expect(result.locator(".search-result-sender")).toHaveText(person === buyer ? " · You" : ` · ${other}`);
    }
    await person.page.screenshot({ path: test.info().outputPath(`search-item-chats-${person === buyer ? "buyer" : "seller"}.png`) });
    await person.page.keyboard.press("Escape");
  }
  for (const p of [seller, buyer]) await p.context.close();
});

test("search inside a conversation, offline: this device's results only, and it says so", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral (search, history and quotes go over HTTP): runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann Traveller", transport);
  const bob = await signUp(browser, "bob", "Bob Friend", transport);
  await startDirectChat(bob, ann);
  const conversationId = (await bob.page.getByTestId("conversation").getAttribute("data-conversation-id"))!;
  await post(bob, conversationId, "Ｔｏｋｙｏ trip: 东京 in May");
  await post(bob, conversationId, "Or Osaka?");
  const { page } = ann;
  await page.getByTestId("conversation-item").filter({ hasText: "Bob Friend" }).click();
  await expect(page.getByTestId("message-list")).toContainText("Or Osaka?");

  await page.context().setOffline(true);
  await page.getByTestId("conversation-search").click();
  await page.getByTestId("search-input").fill("tokyo");
  const hit = results(page);
  await expect(hit).toHaveCount(1);
  // Fullwidth letters match the query (NFKC), and the mark covers what is on screen.
  await expect(hit.locator("mark")).toHaveText("Ｔｏｋｙｏ");
  await expect(page.getByTestId("search-status")).toContainText("offline");
  await page.screenshot({ path: test.info().outputPath("search-conversation-offline.png") });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: test.info().outputPath("search-conversation-offline-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });
  await page.getByTestId("search-input").fill("nothing like this");
  await expect(page.getByTestId("search-status")).toContainText("No messages match");
  // Escape closes, and focus is back on the button that opened it.
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("search-dialog")).toBeHidden();
  await expect(page.getByTestId("conversation-search")).toBeFocused();
  await page.context().setOffline(false);

  for (const p of [ann, bob]) await p.context.close();
});
