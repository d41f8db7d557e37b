import type { Page } from "@playwright/test";
import { createListing, expect, send, signIn, signUp, startDirectChat, test } from "./fixtures.js";

/**
 * Organising conversations (issue 13): what one device of a person sets —
 * pin, remark, label, marked unread, archive — shows on their other device
 * (a second browser profile signed in as them, through `conv` entries), the
 * folders filter the list, a refused change is put back with a toast, and on
 * a phone the menu opens with a long press.
 */

function row(page: Page, conversationId: string) {
  return page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversationId}"]`);
}

/** The ids of the rows, top to bottom. */
function order(page: Page) {
  return page.getByTestId("conversation-item").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-conversation-id")));
}

async function folder(page: Page, name: string) {
  await page.getByRole("radiogroup", { name: "Folders" }).getByRole("radio", { name, exact: true }).click();
}

async function choose(page: Page, item: string) {
  await page.getByRole("menu").getByRole("menuitem", { name: item }).click();
  await expect(page.getByRole("menu")).toHaveCount(0);
}

test("pin, remark, label, mark unread and archive on one device show on my other one; folders filter", async ({ browser, transport }) => {
  const ann = await signUp(browser, "ann", "Ann Organiser", transport);
  const bob = await signUp(browser, "bob", "Bob Buyer", transport);
  const cat = await signUp(browser, "cat", "Cat Friend", transport);
  const listing = `Desk lamp ${ann.username.slice(-4)}`;

  // Bob asks about Ann's listing (an item chat: Ann sells), then Ann writes to Cat (a direct chat).
  await createListing(ann.page, listing, "12.00");
  await bob.page.getByRole("button", { name: "Listings" }).click();
  await bob.page.getByTestId("listing-card").filter({ hasText: listing }).getByRole("button", { name: "Ask the seller" }).click();
  await send(bob.page, "Is the lamp still there?");
  await ann.page.getByRole("button", { name: "Chats" }).click();
  await startDirectChat(ann, cat);
  await send(ann.page, "Hi Cat");

  const itemId = await ann.page.getByTestId("conversation-item").filter({ hasText: listing }).getAttribute("data-conversation-id");
  const catId = await ann.page.getByTestId("conversation-item").filter({ hasText: "Cat Friend" }).getAttribute("data-conversation-id");
  if (!itemId || !catId) throw new Error("both conversations are listed");
  await expect.poll(() => order(ann.page)).toEqual([catId, itemId]);

  const phone = await signIn(browser, ann, transport);
  await expect.poll(() => order(phone.page)).toEqual([catId, itemId]);

  // Pin, from the row's "⋯" (hover on a computer): the item chat goes first, here and there.
  await row(ann.page, itemId).hover();
  // Named by its listing, as the row is (two item chats with Bob would be two listings).
  await ann.page.getByRole("button", { name: `Options for ${listing}` }).click();
  await choose(ann.page, "Pin");
  await expect.poll(() => order(ann.page)).toEqual([itemId, catId]);
  await expect(row(phone.page, itemId).getByTestId("pinned")).toBeVisible();
  await expect.poll(() => order(phone.page)).toEqual([itemId, catId]);

  // A remark, from a right-click: Cat's name becomes it in the list and the open conversation's header.
  await row(ann.page, catId).click({ button: "right" });
  await choose(ann.page, "Remark…");
  const remark = ann.page.getByTestId("remark-dialog");
  await remark.getByRole("textbox").fill("Cathy from work");
  await remark.getByRole("button", { name: "Save" }).click();
  await expect(row(ann.page, catId).locator(".conversation-title")).toHaveText("Cathy from work");
  await expect(ann.page.getByTestId("conversation").getByRole("heading", { name: "Cathy from work" })).toBeVisible();
  await expect(row(phone.page, catId).locator(".conversation-title")).toHaveText("Cathy from work");

  // A new label, from the keyboard (Shift+F10 on the focused row, arrows, Enter).
  await row(ann.page, catId).focus();
  await ann.page.keyboard.press("Shift+F10");
  await expect(ann.page.getByRole("menuitem", { name: "Unpin" }).or(ann.page.getByRole("menuitem", { name: "Pin" }))).toBeFocused();
  for (let i = 0; i < 3; i++) await ann.page.keyboard.press("ArrowDown");
  await expect(ann.page.getByRole("menuitem", { name: "Label…" })).toBeFocused();
  await ann.page.keyboard.press("Enter");
  const labels = ann.page.getByTestId("label-dialog");
  await labels.getByLabel("New label…").check();
  await labels.getByLabel("New label", { exact: true }).fill("Work");
  await ann.page.screenshot({ path: test.info().outputPath("label-dialog.png") });
  await labels.getByRole("button", { name: "Save" }).click();
  await expect(row(ann.page, catId).getByTestId("label-tag")).toHaveText("Work");

  // On a computer every folder chip is inside the sidebar (the row wraps), Archived included.
  const bar = (await ann.page.getByTestId("folder-bar").boundingBox())!;
  for (const chip of await ann.page.getByTestId("folder-bar").getByRole("radio").all()) {
    const box = (await chip.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(bar.x + bar.width);
  }
  // The row's "⋯" on hover leaves the time readable beside it.
  await row(ann.page, catId).hover();
  const time = (await row(ann.page, catId).locator(".conversation-time").boundingBox())!;
  const dots = (await ann.page.getByRole("button", { name: "Options for Cathy from work" }).boundingBox())!;
  expect(time.x + time.width).toBeLessThanOrEqual(dots.x);
  await ann.page.screenshot({ path: test.info().outputPath("folders-and-row-menu.png") });

  // On the other device: the label is a folder; Buying and Selling come from the listing.
  await folder(phone.page, "Work");
  await expect.poll(() => order(phone.page)).toEqual([catId]);
  await folder(phone.page, "Selling");
  await expect.poll(() => order(phone.page)).toEqual([itemId]);
  await folder(phone.page, "Buying");
  await expect(phone.page.getByTestId("folder-empty")).toBeVisible();
  await expect(phone.page.getByTestId("conversation-item")).toHaveCount(0);
  // The chosen folder is this tab's: a reload keeps it.
  await phone.page.reload();
  await expect(phone.page.getByRole("radio", { name: "Buying" })).toBeChecked();
  // ←/→ choose the folder beside it.
  await phone.page.getByRole("radio", { name: "Buying" }).press("ArrowRight");
  await expect(phone.page.getByRole("radio", { name: "Selling" })).toBeChecked();
  await expect(phone.page.getByRole("radio", { name: "Selling" })).toBeFocused();
  await folder(phone.page, "All");
  await folder(bob.page, "Buying");
  await expect(bob.page.getByTestId("conversation-item").filter({ hasText: listing })).toBeVisible();

  // Marked unread: a dot and a count in the tab's title on both devices; opening it on one clears it on both.
  // Bob's question is unread: read it, then mark it unread from the conversation's header (which leaves it).
  await row(ann.page, itemId).click();
  await expect(row(ann.page, itemId).getByTestId("unread-badge")).toHaveCount(0);
  await expect(phone.page).toHaveTitle("Courier");
  await ann.page.getByTestId("conversation-options").click();
  await choose(ann.page, "Mark as unread");
  await expect(ann.page.getByTestId("conversation")).toHaveCount(0);
  await expect(row(ann.page, itemId).getByTestId("marked-unread")).toBeVisible();
  await expect(row(phone.page, itemId).getByTestId("marked-unread")).toBeVisible();
  await expect(phone.page).toHaveTitle("(1) Courier");
  await folder(phone.page, "Unread");
  await expect.poll(() => order(phone.page)).toEqual([itemId]);
  await row(phone.page, itemId).click();
  await expect(row(ann.page, itemId).getByTestId("marked-unread")).toHaveCount(0);
  await expect(phone.page).toHaveTitle("Courier");
  await folder(phone.page, "All");

  // Archive, from the open conversation's header menu: out of All on both devices, in Archived.
  await phone.page.getByTestId("conversation-options").click();
  await choose(phone.page, "Archive");
  await expect.poll(() => order(phone.page)).toEqual([catId]);
  await expect.poll(() => order(ann.page)).toEqual([catId]);
  await folder(ann.page, "Archived");
  await expect.poll(() => order(ann.page)).toEqual([itemId]);
  await row(ann.page, itemId).hover();
  await ann.page.screenshot({ path: test.info().outputPath("archived.png") });

  // A change the server refuses is put back, and a toast says so.
  await folder(ann.page, "All");
  await ann.page.route("**/api/conversations/*/settings", (route) =>
    route.fulfill({ status: 403, json: { error: { code: "forbidden", message: "Not allowed right now." } } }),
  );
  await row(ann.page, catId).click({ button: "right" });
  await choose(ann.page, "Pin");
  await expect(ann.page.getByTestId("toast")).toContainText("Couldn't pin “Cathy from work”: Not allowed right now.");
  await expect(row(ann.page, catId).getByTestId("pinned")).toHaveCount(0);

  for (const p of [ann, bob, cat, phone]) await p.context.close();
});

test("on a phone, a long press on a conversation opens its menu; a tap opens the conversation", async ({ browser, transport }) => {
  const ann = await signUp(browser, "ann", "Ann Phone", transport, { hasTouch: true });
  // Signed up on a wide screen (the sign-up helper looks for the name shown there), used on a phone's.
  await ann.page.setViewportSize({ width: 390, height: 844 });
  const bob = await signUp(browser, "bob", "Bob Friend", transport);
  await startDirectChat(ann, bob);
  await send(ann.page, "Hello from my phone");
  await ann.page.getByRole("button", { name: "Back to conversations" }).click();

  const first = ann.page.getByTestId("conversation-item").first();
  const box = await first.boundingBox();
  if (!box) throw new Error("the row is on screen");
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  // A finger resting on the row (real touch events from the browser's input pipeline).
  const cdp = await ann.context.newCDPSession(ann.page);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [at] });
  const menu = ann.page.getByRole("menu");
  await expect(menu).toBeVisible();
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  // Lifting the finger does not also open the conversation.
  await expect(ann.page.getByTestId("conversation")).toBeHidden();
  const menuBox = await menu.boundingBox();
  expect(menuBox!.x).toBeGreaterThanOrEqual(0);
  expect(menuBox!.x + menuBox!.width).toBeLessThanOrEqual(390);
  await ann.page.emulateMedia({ colorScheme: "dark" });
  await ann.page.screenshot({ path: test.info().outputPath("phone-menu.png") });
  await ann.page.emulateMedia({ colorScheme: "light" });
  await menu.getByRole("menuitem", { name: "Pin" }).tap();
  await expect(first.getByTestId("pinned")).toBeVisible();

  // The folders fit one line that scrolls sideways.
  const bar = ann.page.getByTestId("folder-bar");
  expect(await bar.evaluate((el) => el.getBoundingClientRect().height)).toBeLessThan(50);

  await first.tap();
  await expect(ann.page.getByTestId("conversation")).toBeVisible();
  await ann.page.getByTestId("conversation-options").tap();
  await expect(ann.page.getByRole("menuitem", { name: "Unpin" })).toBeVisible();
  // A phone's header has no room for a Mute button: it is in this menu.
  await expect(ann.page.getByTestId("mute-toggle")).toBeHidden();
  await expect(ann.page.getByRole("menuitem", { name: "Mute" })).toBeVisible();
  await ann.page.keyboard.press("Escape");
  await expect(ann.page.getByRole("menu")).toHaveCount(0);
  await expect(ann.page.getByTestId("conversation-options")).toBeFocused();

  // A group's panel is reachable from its header on a phone, and closes back to the messages.
  await ann.page.getByRole("button", { name: "Back to conversations" }).click();
  await ann.page.getByRole("button", { name: "New chat" }).click();
  await ann.page.getByLabel("Find people").fill(bob.username);
  await ann.page.getByLabel(`Add ${bob.displayName} to group`).check();
  await ann.page.getByLabel("Group name").fill("Phone club");
  await ann.page.getByRole("button", { name: "Create group" }).click();
  await ann.page.getByTestId("group-info").tap();
  const panel = ann.page.getByTestId("group-panel");
  await expect(panel.getByTestId("group-member")).toHaveCount(2);
  const panelBox = await panel.boundingBox();
  expect(panelBox!.x + panelBox!.width).toBeLessThanOrEqual(390);
  await ann.page.screenshot({ path: test.info().outputPath("phone-group.png") });
  await panel.getByRole("button", { name: "Close" }).tap();
  await expect(panel).toHaveCount(0);

  await ann.context.close();
  await bob.context.close();
});
