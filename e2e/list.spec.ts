import type { APIRequestContext, Browser, Page } from "@playwright/test";
import { avatarColor } from "../web/lib/avatar-color.js";
import { expect, openConversation, PASSWORD, send, signIn, signUp, startDirectChat, test, uniqueUsername, type Person } from "./fixtures.js";

/**
 * The conversation list (issue 14): "Ask the seller" without writing opens
 * no chat on the seller's side, the first message brings the row, named by
 * the listing; each person's avatar in a colour of their own.
 */

const userId = (person: Person) =>
  person.page.evaluate(async () => ((await (await fetch("/api/me")).json()) as { user: { id: string } }).user.id);

/** A listing with one photo (drawn by the browser), through the sell form. */
async function listWithPhoto(page: Page, title: string): Promise<void> {
  const dataUrl = await page.evaluate(() => {
    const canvas = Object.assign(document.createElement("canvas"), { width: 240, height: 180 });
    const g = canvas.getContext("2d")!;
    g.fillStyle = "#0f766e";
    g.fillRect(0, 0, 240, 180);
    g.fillStyle = "#f4c542";
    g.beginPath();
    g.arc(120, 90, 60, 0, Math.PI * 2);
    g.fill();
    return canvas.toDataURL("image/png");
  });
  await page.getByRole("button", { name: "Listings" }).click();
  await page.getByRole("button", { name: "Sell something" }).click();
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Price").fill("450.00");
  await page.getByTestId("photo-input").setInputFiles([{ name: "bike.png", mimeType: "image/png", buffer: Buffer.from(dataUrl.split(",")[1]!, "base64") }]);
  await page.getByRole("button", { name: "List it" }).click();
  await expect(page.getByTestId("listing-card").filter({ hasText: title })).toBeVisible();
}

const row = (page: Page, text: string) => page.getByTestId("conversation-item").filter({ hasText: text });

/**
 * Someone who messages the seller directly, in a colour other than `taken`'s.
 * Ids are random and one in ten shares a colour, so accounts are made over
 * HTTP until one has another colour (cheap, and never a matter of luck); that
 * one signs in through the UI and writes.
 */
async function anotherWriter(browser: Browser, request: APIRequestContext, seller: Person, taken: string): Promise<{ person: Person; colour: string }> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const username = uniqueUsername("writer");
    const res = await request.post("/api/auth/register", { data: { username, displayName: "Cleo Writer", password: PASSWORD } });
    expect(res.status()).toBe(201);
    const colour = avatarColor(((await res.json()) as { user: { id: string } }).user.id);
    if (colour === taken) continue;
    const person = await signIn(browser, { username, displayName: "Cleo Writer" });
    await startDirectChat(person, seller);
    await send(person.page, "Hello from Cleo Writer");
    return { person, colour };
  }
  throw new Error(`forty new accounts in a row had the colour ${taken}`);
}

test("Ask the seller without a message leaves the seller's list alone; the first message brings the row, named by the listing and its photo", async ({ browser, request, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const seller = await signUp(browser, "sam", "Sam Seller", transport);
  const buyer = await signUp(browser, "bea", "Bea Buyer", transport);
  const listing = `Brompton folding bike ${seller.username.slice(-4)}`;
  await listWithPhoto(seller.page, listing);
  await seller.page.getByRole("button", { name: "Chats" }).click();

  // The buyer asks, and leaves without writing: the chat is on their side at once.
  await buyer.page.getByRole("button", { name: "Listings" }).click();
  await buyer.page.getByTestId("listing-card").filter({ hasText: listing }).getByRole("button", { name: "Ask the seller" }).click();
  await expect(buyer.page.getByTestId("item-panel")).toContainText(listing);
  await buyer.page.getByRole("button", { name: "Chats" }).click();
  await expect(row(buyer.page, listing)).toContainText("No messages yet");

  // Then writes to the seller directly: that reaches the seller after anything the ask could have sent them.
  await startDirectChat(buyer, seller);
  await send(buyer.page, "Hi Sam, Bea here");
  await expect(row(seller.page, "Hi Sam, Bea here")).toBeVisible();
  await expect(row(seller.page, listing)).toHaveCount(0);

  // The first message in the item chat brings it: the listing's title as the row's name, the buyer beside it.
  await buyer.page.getByRole("button", { name: "Chats" }).click();
  await openConversation(buyer.page, listing);
  await send(buyer.page, "Is it still available?");
  const itemRow = row(seller.page, listing);
  await expect(itemRow).toBeVisible();
  await expect(itemRow.locator(".conversation-title")).toHaveText(listing);
  await expect(itemRow.getByTestId("conversation-person")).toHaveText("Bea Buyer");
  await expect(itemRow).toContainText("Is it still available?");
  // The listing's photo as the row's thumbnail, loaded (the no-photo icon: avatar.test.ts).
  const thumb = itemRow.getByTestId("item-thumb");
  await expect(thumb.locator("img")).toBeVisible();
  await expect.poll(() => thumb.locator("img").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  await expect(thumb.locator(".item-icon")).toHaveCount(0);

  // Each person in their own colour, the same wherever they show.
  const beaColour = avatarColor(await userId(buyer));
  const other = await anotherWriter(browser, request, seller, beaColour);
  const direct = (text: string) => row(seller.page, text).getByTestId("person-avatar");
  await expect(direct("Hi Sam, Bea here")).toHaveAttribute("data-colour", beaColour);
  await expect(direct(`Hello from ${other.person.displayName}`)).toHaveAttribute("data-colour", other.colour);
  await expect(thumb.getByTestId("person-avatar")).toHaveAttribute("data-colour", beaColour);
  const painted = (text: string) => direct(text).evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(await painted("Hi Sam, Bea here")).not.toBe(await painted(`Hello from ${other.person.displayName}`));

  // Screenshots of the list: a computer and a phone, light and dark.
  for (const [size, viewport] of [
    ["desktop", { width: 1280, height: 720 }],
    ["phone", { width: 390, height: 844 }],
  ] as const) {
    await seller.page.setViewportSize(viewport);
    for (const colorScheme of ["light", "dark"] as const) {
      await seller.page.emulateMedia({ colorScheme });
      await seller.page.screenshot({ path: test.info().outputPath(`list-${size}-${colorScheme}.png`) });
    }
  }
  // The chat's header shows the buyer's avatar too (a phone: the list gives way to the chat).
  await openConversation(seller.page, listing);
  await expect(seller.page.locator(".conversation-header").getByTestId("person-avatar")).toHaveAttribute("data-colour", beaColour);
  await seller.page.screenshot({ path: test.info().outputPath("chat-phone-dark.png") });
  // Reserved by the seller: the row says so beside the listing's title.
  await seller.page.getByTestId("item-panel").getByRole("button", { name: "Reserve" }).click();
  await seller.page.getByRole("button", { name: "Back to conversations" }).click();
  await expect(row(seller.page, listing).getByTestId("list-item-status")).toHaveText("Reserved");
  await seller.page.screenshot({ path: test.info().outputPath("list-phone-dark-reserved.png") });
  await seller.page.emulateMedia({ colorScheme: "light" });
  for (const p of [seller, buyer, other.person]) await p.context.close();
});
