import type { Browser, Locator, Page } from "@playwright/test";
import { createListing, expect, openConversation, send, signIn, signUp, test, type Person } from "./fixtures.js";

/**
 * Offers, orders and listings in the app (issue 14; docs/marketplace.md):
 * an offer countered and accepted into an order, Buy asking first with the
 * price, a seller's cancel with a reason putting the listing back on sale.
 */

const PHONE = { width: 390, height: 844 };

/** A seller (computer) with a listing at £45, and a buyer (phone, dark) in its item chat. */
async function listingChat(browser: Browser, name: string) {
  const seller = await signUp(browser, "seller", "Berta Seller", "ws");
  const buyer = await signUp(browser, "buyer", "Anton Buyer", "ws", { colorScheme: "dark" });
  // Every test shares one server: keep this listing apart from the others'.
  const listing = `${name} ${seller.username.slice(-4)}`;
  await createListing(seller.page, listing, "45.00");
  await buyer.page.getByRole("button", { name: "Listings" }).click();
  await buyer.page.getByTestId("listing-card").filter({ hasText: listing }).getByRole("button", { name: "Ask the seller" }).click();
  await expect(buyer.page.getByTestId("item-panel")).toContainText(listing);
  // A phone: the buyer's screen from here on (sign-up and the listings were reached from a computer's header).
  await buyer.page.setViewportSize(PHONE);
  return { seller, buyer, listing };
}

const offerCards = (page: Page) => page.getByTestId("message-list").getByTestId("offer-card");
/** The message row an offer card is in (where the keyboard goes once the card's buttons are gone). */
const rowOf = (card: Locator) => card.locator("xpath=ancestor::*[@data-row-key][1]");
const orderStatus = (page: Page) => page.getByTestId("order-status");

async function openSellersChat(seller: Person) {
  await seller.page.getByRole("button", { name: "Chats" }).click();
  await openConversation(seller.page, "Anton Buyer");
}

/**
 * A phone scrolled up to an offer: "↓ Latest" shows, beside the other
 * person's messages rather than over them, so each of the offer's buttons
 * can still be tapped, and a message from the other side is counted on its
 * badge; then the newest again (by the button).
 */
async function offerButtonsBesideLatest(page: Page, card: Locator, other: Page) {
  await page.setViewportSize({ width: 375, height: 560 });
  for (let i = 1; i <= 6; i++) await send(page, `Thinking it over, ${i}`);
  const accept = card.getByRole("button", { name: "Accept" });
  // The Accept button at the list's bottom edge, where the button shows.
  const list = page.getByTestId("message-list");
  await accept.scrollIntoViewIfNeeded();
  const [a, box] = [(await accept.boundingBox())!, (await list.boundingBox())!];
  await list.evaluate((el, dy) => (el.scrollTop += dy), a.y + a.height - (box.y + box.height) + 4);
  const latest = page.getByTestId("jump-latest");
  await expect(latest).toBeVisible();
  await expect(accept).toBeInViewport();
  const l = (await latest.boundingBox())!;
  const buttons = card.getByRole("button");
  expect(await buttons.count()).toBeGreaterThan(1);
  for (const button of await buttons.all()) {
    const b = (await button.boundingBox())!;
    const overlaps = b.x < l.x + l.width && l.x < b.x + b.width && b.y < l.y + l.height && l.y < b.y + b.height;
    expect(overlaps, `"↓ Latest" ${JSON.stringify(l)} over ${await button.textContent()} ${JSON.stringify(b)}`).toBe(false);
    // What a tap there hits is the button itself (Playwright checks the point is not covered).
    await button.click({ trial: true });
  }
  await expect(latest).toHaveAccessibleName("Latest");
  // A message from the other side meanwhile: counted on the arrow's badge, and in its name.
  await send(other, "Still there?");
  await expect(latest).toHaveAccessibleName("Latest (1 new)");
  await expect(latest.getByText("1", { exact: true })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("latest-beside-offer-phone-dark.png") });
  await latest.click();
  await expect(latest).toHaveCount(0);
  await page.setViewportSize(PHONE);
}

async function closeAll(...people: Person[]) {
  for (const p of people) await p.context.close();
}

test("an offer, a counter, the counter accepted: an order at that price on both screens", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const { seller, buyer, listing } = await listingChat(browser, "Road bike");

  // The buyer offers £40: checked first (nothing is not an offer), Enter sends.
  await buyer.page.getByRole("button", { name: "Make an offer" }).click();
  const dialog = buyer.page.getByTestId("offer-dialog");
  await dialog.getByLabel("Your price").fill("0");
  await dialog.getByLabel("Your price").press("Enter");
  await expect(dialog.getByRole("alert")).toHaveText("An offer must be more than nothing.");
  await dialog.getByLabel("Your price").fill("40");
  await buyer.page.screenshot({ path: test.info().outputPath("offer-dialog-phone-dark.png") });
  await dialog.getByLabel("Your price").press("Enter");
  await expect(dialog).toHaveCount(0);
  await expect(offerCards(buyer.page)).toHaveCount(1);
  await expect(offerCards(buyer.page).first()).toHaveAttribute("data-status", "open");
  await expect(offerCards(buyer.page).first()).toContainText("You offered $40.00");
  // One open offer per buyer and item: the button waits, says why, and keeps the focus the dialog gave back.
  const makeOffer = buyer.page.getByRole("button", { name: "Make an offer" });
  await expect(makeOffer).toBeDisabled();
  await expect(makeOffer).toBeFocused();
  await expect(makeOffer).toHaveAccessibleDescription("Your offer of $40.00 is waiting for the seller.");
  await makeOffer.press("Enter");
  await expect(makeOffer).toHaveAttribute("aria-disabled", "true");
  await expect(makeOffer).toBeFocused();
  await expect(dialog).toHaveCount(0);

  // The seller counters with £43 (listed at £45).
  await openSellersChat(seller);
  const first = offerCards(seller.page).first();
  await expect(first).toContainText("Anton Buyer offered $40.00");
  await first.getByRole("button", { name: "Counter" }).click();
  const counter = seller.page.getByTestId("counter-dialog");
  await counter.getByLabel("Your price").fill("43");
  await counter.getByLabel("Your price").press("Enter");
  await expect(counter).toHaveCount(0);
  await expect(first).toHaveAttribute("data-status", "countered");
  // Its Counter button went with the answer: the keyboard is on the offer's message, not lost to the page.
  await expect(rowOf(first)).toBeFocused();
  await expect(offerCards(seller.page)).toHaveCount(2);

  // The buyer sees the first offer countered and the seller's counter-offer, and accepts it.
  await expect(offerCards(buyer.page).first()).toHaveAttribute("data-status", "countered");
  const counterCard = offerCards(buyer.page).nth(1);
  await expect(counterCard).toContainText("Counter-offer");
  await expect(counterCard).toContainText("Berta Seller countered with $43.00");
  await buyer.page.screenshot({ path: test.info().outputPath("offer-countered-phone-dark.png") });
  await offerButtonsBesideLatest(buyer.page, counterCard, seller.page);
  // Accepting buys it: asked first, as Buy is; Cancel leaves the counter-offer open.
  await counterCard.getByRole("button", { name: "Accept" }).click();
  const accept = buyer.page.getByTestId("accept-dialog");
  await expect(accept.getByRole("heading")).toHaveText(`Buy “${listing}” for $43.00?`);
  await accept.getByRole("button", { name: "Cancel" }).click();
  await expect(accept).toHaveCount(0);
  await expect(counterCard).toHaveAttribute("data-status", "open");
  await counterCard.getByRole("button", { name: "Accept" }).click();
  await accept.getByRole("button", { name: "Accept" }).click();
  await expect(accept).toHaveCount(0);
  // The buttons are gone with the answer; the keyboard's place is the offer's message, not the page.
  await expect(rowOf(counterCard)).toBeFocused();

  for (const page of [buyer.page, seller.page]) {
    await expect(offerCards(page).nth(1)).toHaveAttribute("data-status", "accepted");
    await expect(orderStatus(page)).toHaveAttribute("data-status", "bought");
    await expect(orderStatus(page)).toContainText("for $43.00");
    // Sold here at the counter's price: that price beside "Sold", not the listing's £45.
    await expect(page.getByTestId("item-price")).toHaveText("$43.00");
    // An accepted counter leaves nothing to answer.
    await expect(offerCards(page).getByRole("button", { name: "Accept" })).toHaveCount(0);
  }
  // The chat's line about the sale writes the price as every other price, and speaks to the buyer as "you".
  await expect(buyer.page.locator('[data-kind="system"]').last()).toHaveText(`You accepted the counter-offer and bought “${listing}” for $43.00`);
  await expect(seller.page.locator('[data-kind="system"]').last()).toHaveText(`Anton Buyer accepted the counter-offer and bought “${listing}” for $43.00`);
  await seller.page.screenshot({ path: test.info().outputPath("offer-accepted-desktop.png") });
  await buyer.page.screenshot({ path: test.info().outputPath("offer-accepted-phone-dark.png") });

  // A small phone with its keyboard open: the listing, the tip and the prompt above the messages scroll on
  // their own, and the messages and the composer keep their room.
  await buyer.page.setViewportSize({ width: 375, height: 480 });
  await expect(buyer.page.getByLabel("Message", { exact: true })).toBeInViewport({ ratio: 1 });
  await expect.poll(async () => (await buyer.page.getByTestId("message-list").boundingBox())?.height ?? 0).toBeGreaterThan(120);
  const top = buyer.page.getByTestId("above-messages");
  await expect.poll(() => top.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
  await buyer.page.screenshot({ path: test.info().outputPath("item-chat-keyboard-open-phone.png") });
  await closeAll(buyer, seller);
});

test("Buy asks first with the price; a price changed meanwhile is explained and the new price bought", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const { seller, buyer, listing } = await listingChat(browser, "Desk lamp");

  // Asked first; Escape leaves it unbought.
  await buyer.page.getByRole("button", { name: "Buy" }).click();
  const dialog = buyer.page.getByTestId("buy-dialog");
  await expect(dialog.getByRole("heading")).toHaveText(`Buy “${listing}” for $45.00?`);
  await buyer.page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  await expect(orderStatus(buyer.page)).toHaveCount(0);

  // The buyer opens it again; meanwhile the seller raises the price from "My listings".
  await buyer.page.getByRole("button", { name: "Buy" }).click();
  await expect(dialog.getByRole("heading")).toContainText("$45.00");
  await seller.page.getByTestId("shelf-mine").click();
  const card = seller.page.getByTestId("listing-card").filter({ hasText: listing });
  await card.getByRole("button", { name: "Edit" }).click();
  const edit = seller.page.getByTestId("edit-listing-dialog");
  await edit.getByLabel("Price").fill("50");
  await seller.page.screenshot({ path: test.info().outputPath("edit-listing-desktop.png") });
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit).toHaveCount(0);
  await expect(card).toContainText("$50.00");

  // The buyer confirms the price seen: refused, said why, the new price shown.
  await dialog.getByRole("button", { name: "Buy", exact: true }).click();
  await expect(dialog.getByRole("alert")).toHaveText("The seller changed the price to $50.00.");
  await expect(dialog.getByRole("heading")).toHaveText(`Buy “${listing}” for $50.00?`);
  await buyer.page.screenshot({ path: test.info().outputPath("buy-price-changed-phone-dark.png") });
  await expect(orderStatus(buyer.page)).toHaveCount(0);
  await dialog.getByRole("button", { name: "Buy for $50.00" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(orderStatus(buyer.page)).toContainText("Bought for $50.00");
  await closeAll(buyer, seller);
});

test("a seller cancels an order with a reason: both see it, and the listing is back in the catalogue", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const { seller, buyer, listing } = await listingChat(browser, "Camping stove");
  await buyer.page.getByRole("button", { name: "Buy" }).click();
  await buyer.page.getByTestId("buy-dialog").getByRole("button", { name: "Buy", exact: true }).click();
  await expect(orderStatus(buyer.page)).toHaveAttribute("data-status", "bought");

  // Sold: it left the catalogue.
  const catalogue = await signUp(browser, "visitor", "Carla Visitor", "ws");
  await catalogue.page.getByRole("button", { name: "Listings" }).click();
  await expect(catalogue.page.getByRole("heading", { name: "Listings" })).toBeVisible();
  await expect(catalogue.page.getByTestId("listing-card").filter({ hasText: listing })).toHaveCount(0);

  // The seller must say why.
  await openSellersChat(seller);
  await expect(orderStatus(seller.page)).toHaveAttribute("data-status", "bought");
  await seller.page.getByRole("button", { name: "Cancel order" }).click();
  const dialog = seller.page.getByTestId("cancel-order-dialog");
  await dialog.getByRole("button", { name: "Cancel order" }).click();
  await expect(dialog.getByRole("alert")).toHaveText("Tell the buyer why you're cancelling.");
  await dialog.getByLabel(/Why\?/).fill("The stove leaks, sorry");
  await seller.page.screenshot({ path: test.info().outputPath("cancel-dialog-desktop.png") });
  await dialog.getByRole("button", { name: "Cancel order" }).click();
  await expect(dialog).toHaveCount(0);

  for (const page of [seller.page, buyer.page]) {
    await expect(orderStatus(page)).toHaveAttribute("data-status", "cancelled");
    await expect(orderStatus(page)).toContainText("“The stove leaks, sorry”");
    await expect(page.getByTestId("message-list").locator('[data-kind="system"]').last()).toContainText("The stove leaks, sorry");
    await expect(page.getByTestId("item-panel")).toHaveAttribute("data-item-status", "listed");
  }
  // The buyer may buy again.
  await expect(buyer.page.getByRole("button", { name: "Buy" })).toBeVisible();
  await buyer.page.screenshot({ path: test.info().outputPath("cancelled-phone-dark.png") });

  await catalogue.page.getByTestId("shelf-mine").click();
  await catalogue.page.getByTestId("shelf-all").click();
  await expect(catalogue.page.getByTestId("listing-card").filter({ hasText: listing })).toHaveAttribute("data-status", "listed");
  await closeAll(buyer, seller, catalogue);
});

test("a seller reserves and withdraws a listing: marked in the catalogue, gone from it, its status in the buyer's chat", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const { seller, buyer, listing } = await listingChat(browser, "Wool rug");
  const card = seller.page.getByTestId("listing-card").filter({ hasText: listing });
  const panel = buyer.page.getByTestId("item-panel");

  // Reserved: still in the catalogue, marked; the buyer can't buy it but may still offer.
  await card.getByRole("button", { name: "Reserve" }).click();
  await expect(card).toHaveAttribute("data-status", "reserved");
  await seller.page.getByTestId("shelf-mine").click();
  await seller.page.getByTestId("shelf-all").click();
  await expect(card.getByTestId("listing-status")).toHaveText("Reserved");
  await expect(panel).toHaveAttribute("data-item-status", "reserved");
  await expect(panel.getByRole("button", { name: "Buy" })).toHaveCount(0);
  await panel.getByRole("button", { name: "Make an offer" }).click();
  await buyer.page.getByTestId("offer-dialog").getByLabel("Your price").fill("30");
  await buyer.page.getByTestId("offer-dialog").getByLabel("Your price").press("Enter");
  await expect(offerCards(buyer.page)).toHaveAttribute("data-status", "open");

  // Another device of the buyer's, signed in after the offer was made, shows its state and what the buyer may do.
  const laptop = await signIn(browser, buyer);
  await openConversation(laptop.page, listing);
  await expect(offerCards(laptop.page)).toHaveAttribute("data-status", "open");
  await expect(offerCards(laptop.page).getByRole("button", { name: "Withdraw" })).toBeVisible();
  await laptop.context.close();

  // Withdrawn, asked first: it leaves the catalogue, stays in My listings and in the buyer's chat.
  await card.getByRole("button", { name: "Withdraw" }).click();
  const confirm = seller.page.getByTestId("withdraw-dialog");
  await expect(confirm.getByRole("heading")).toHaveText(`Withdraw “${listing}”?`);
  await confirm.getByRole("button", { name: "Withdraw" }).click();
  await expect(confirm).toHaveCount(0);
  await seller.page.getByTestId("shelf-mine").click();
  await expect(card.getByTestId("listing-status")).toHaveText("Withdrawn");
  await expect(card.getByRole("button", { name: "List again" })).toBeVisible();
  await seller.page.screenshot({ path: test.info().outputPath("my-listings-desktop.png") });
  await seller.page.getByTestId("shelf-all").click();
  await expect(seller.page.getByRole("heading", { name: "Listings" })).toBeVisible();
  await expect(card).toHaveCount(0);

  await expect(panel).toHaveAttribute("data-item-status", "withdrawn");
  await expect(panel).toContainText("Withdrawn");
  await expect(panel.getByRole("button", { name: "Make an offer" })).toHaveCount(0);
  await buyer.page.screenshot({ path: test.info().outputPath("withdrawn-phone-dark.png") });
  await closeAll(buyer, seller);
});

test("the sell form: the keyboard starts in Title; Escape leaves it empty, asks first once something is typed; List it says so", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const seller = await signUp(browser, "seller", "Berta Seller", "ws");
  const { page } = seller;
  const open = async () => {
    await page.getByRole("button", { name: "Sell something" }).click();
    await expect(page.getByLabel("Title")).toBeFocused();
  };
  await page.getByRole("button", { name: "Listings", exact: true }).click();

  // Nothing typed: Escape is Back.
  await open();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("button", { name: "Sell something" })).toBeVisible();

  // Typed: Escape (and the back button) ask first; Keep editing keeps every word, Discard leaves.
  await open();
  await page.getByLabel("Title").fill("Oak chair");
  await page.getByLabel("Description").fill("Sturdy, a little worn.");
  await page.keyboard.press("Escape");
  const discard = page.getByTestId("discard-listing");
  await expect(discard).toContainText("Discard this listing?");
  await expect(discard.getByRole("button", { name: "Keep editing" })).toBeFocused();
  await discard.getByRole("button", { name: "Keep editing" }).click();
  await expect(discard).toHaveCount(0);
  await expect(page.getByLabel("Title")).toHaveValue("Oak chair");
  await expect(page.getByLabel("Description")).toHaveValue("Sturdy, a little worn.");
  await page.getByRole("button", { name: "Cancel and go back" }).click();
  await discard.getByRole("button", { name: "Discard" }).click();
  await expect(page.getByRole("button", { name: "Sell something" })).toBeVisible();

  // Listed: back in Listings, and a note says so.
  await open();
  const title = `Oak chair ${seller.username.slice(-4)}`;
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Price").fill("12");
  await page.getByRole("button", { name: "List it" }).click();
  await expect(page.getByTestId("listing-card").filter({ hasText: title })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: `Listed “${title}”` })).toBeVisible();
  await seller.context.close();
});
