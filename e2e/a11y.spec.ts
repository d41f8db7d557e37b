import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { E2E_ADMIN_TOKEN } from "./support/admin-token.js";
import { zh } from "../web/i18n/locales/zh/index.js";
import { bubble, createListing, expect, menuOf, openConversation, send, signUp, startDirectChat, test } from "./fixtures.js";

/**
 * Accessibility (issue 17, docs/accessibility.md): axe-core over every screen
 * of the app, in light and dark, on a phone and a desktop: no serious or
 * critical violation, and one level-one heading. A menu or dialog is checked
 * open over the screen behind it. Then the live region that announces new
 * messages, and the keyboard.
 */

/**
 * Two modes per screen, pairwise: every size and every colour scheme is met,
 * each with every rule (all four pairs took 8 min on CI's 2 cores beside the
 * other worker, and ran out of their time).
 */
const MODES = [
  { name: "desktop light", size: { width: 1280, height: 720 }, colorScheme: "light" },
  { name: "phone dark", size: { width: 390, height: 844 }, colorScheme: "dark" },
] as const;

type Found = { screen: string; mode: string; rule: string; help: string; targets: string[] };

/**
 * Checks the screen `show` brings up (and waits for) in each mode. A resize
 * closes menus: it is brought up once per mode.
 */
async function check(page: Page, screen: string, found: Found[], show: () => Promise<void>): Promise<void> {
  const before = found.length;
  for (const mode of MODES) {
    await page.setViewportSize(mode.size);
    await page.emulateMedia({ colorScheme: mode.colorScheme });
    await show();
    await expect(page.locator("h1"), `${screen}: one level-one heading`).toHaveCount(1);
    await axe(page, screen, mode.name, found);
    // To look at after a run (the test's output folder).
    await page.screenshot({ path: test.info().outputPath(`${screen}-${mode.name}.png`.replace(/[^\w.-]+/g, "-")), animations: "disabled" });
  }
  if (found.length > before) console.info(report(found.slice(before)));
  // The journey goes on on a desktop in light.
  await page.setViewportSize(MODES[0].size);
  await page.emulateMedia({ colorScheme: "light" });
}

async function axe(page: Page, screen: string, mode: string, found: Found[]): Promise<void> {
  const results = await new AxeBuilder({ page }).options({ resultTypes: ["violations"] }).analyze();
  for (const v of results.violations) {
    if (v.impact !== "serious" && v.impact !== "critical") continue;
    const targets = v.nodes.slice(0, 4).map((n) => `${n.target.join(" ")}: ${n.failureSummary?.split("\n")[1]?.trim() ?? ""}`);
    found.push({ screen, mode, rule: v.id, help: v.help, targets });
  }
}

function report(found: Found[]): string {
  return found.map((f) => `${f.screen} [${f.mode}] ${f.rule}: ${f.help}\n    ${f.targets.join("\n    ")}`).join("\n");
}

/** Back to the conversation list (on a phone it is the whole screen). */
async function toChats(page: Page): Promise<void> {
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Chats", exact: true }).click();
  await expect(page.getByTestId("conversation-item").first().or(page.getByTestId("conversations-empty"))).toBeVisible();
}

test("every screen passes axe in light and dark, on a phone and a desktop", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  test.setTimeout(420_000);
  const found: Found[] = [];
  const [ann, bob, cat] = await Promise.all([signUp(browser, "ann", "Ann Axe", transport), signUp(browser, "bob", "Bob Axe", transport), signUp(browser, "cat", "Cat Axe", transport)]);
  for (const page of [ann.page, bob.page]) page.setDefaultTimeout(15_000);
  /** `page` makes a group with `member` and opens it. */
  const createGroup = async (page: Page, member: { username: string; displayName: string }, title: string) => {
    await page.getByRole("button", { name: "New chat" }).click();
    await page.getByLabel("Find people").fill(member.username);
    await page.getByTestId("user-result").filter({ hasText: member.displayName }).locator("label").click();
    await page.getByLabel(`Add ${member.displayName} to group`).check();
    await page.getByLabel("Group name").fill(title);
    await page.getByRole("button", { name: "Create group" }).click();
    await expect(page.getByTestId("conversation").getByRole("heading", { name: title })).toBeVisible();
  };
  // Cat shares nothing with Bob: a group of Cat's is a request for him.
  await createGroup(cat.page, bob, "Cat club");
  const listing = `Axe bike ${Date.now() % 10_000}`;
  /** The direct chat with `name` (not the item chat, whose person line names them too). */
  const openDirect = async (page: Page, name: string) => {
    await page.getByTestId("conversation-item").filter({ hasText: name }).filter({ hasNotText: listing }).click();
    await expect(page.getByTestId("conversation")).toBeVisible();
  };

  // Sign-in / create account (with a field's error), before anyone signs in.
  const fresh = await (await browser.newContext()).newPage();
  await fresh.goto("/");
  await check(fresh, "create account", found, async () => {
    await fresh.getByRole("tab", { name: "Create account" }).click();
    await fresh.getByLabel("Username").fill("x");
    await fresh.getByRole("button", { name: "Create account" }).click();
    await expect(fresh.locator(".field-error").first()).toBeVisible();
  });

  await check(ann.page, "conversation list (empty)", found, async () => {
    await toChats(ann.page);
    await expect(ann.page.getByTestId("conversations-empty")).toBeVisible();
  });

  // Listings: the sell form, the catalogue, then an item chat with an offer and the buy dialog.
  await check(bob.page, "sell form", found, async () => {
    await bob.page.getByRole("button", { name: "Listings", exact: true }).click();
    await bob.page.getByRole("button", { name: "Sell something" }).click();
    await expect(bob.page.getByLabel("Title")).toBeVisible();
  });
  await createListing(bob.page, listing, "40");
  await check(ann.page, "listings", found, async () => {
    await ann.page.getByRole("button", { name: "Listings", exact: true }).click();
    await expect(ann.page.getByTestId("listing-card").filter({ hasText: listing })).toBeVisible();
  });
  await ann.page.getByTestId("listing-card").filter({ hasText: listing }).getByRole("button", { name: "Ask the seller" }).click();
  await expect(ann.page.getByTestId("item-panel")).toContainText(listing);
  await send(ann.page, "Is it still for sale?");
  await ann.page.getByRole("button", { name: "Make an offer" }).click();
  await ann.page.getByTestId("offer-dialog").getByLabel("Your price").fill("35");
  await ann.page.getByTestId("offer-dialog").getByLabel("Your price").press("Enter");
  await expect(ann.page.getByTestId("message-list").getByTestId("offer-card")).toBeVisible();
  await check(ann.page, "item chat with an offer, buy dialog", found, async () => {
    await toChats(ann.page);
    await openConversation(ann.page, listing);
    await expect(ann.page.getByTestId("message-list").getByTestId("offer-card")).toBeVisible();
    await ann.page.getByRole("button", { name: "Buy" }).click();
    await expect(ann.page.getByTestId("buy-dialog")).toBeVisible();
  });
  await check(bob.page, "item chat (seller)", found, async () => {
    await toChats(bob.page);
    await openConversation(bob.page, listing);
    await expect(bob.page.getByTestId("message-list").getByTestId("offer-card")).toBeVisible();
  });

  // A direct chat with its message menu, the report dialog, search.
  await ann.page.keyboard.press("Escape");
  await startDirectChat(ann, bob);
  await send(ann.page, "hello from Ann");
  await openDirect(bob.page, "Ann Axe");
  await expect(bubble(bob.page, "hello from Ann")).toBeVisible();
  await send(bob.page, "hi Ann");
  await check(ann.page, "direct chat, message menu", found, async () => {
    await toChats(ann.page);
    await openDirect(ann.page, "Bob Axe");
    await expect(await menuOf(ann.page, "hi Ann")).toBeVisible();
  });
  await check(ann.page, "report dialog", found, async () => {
    await toChats(ann.page);
    await openDirect(ann.page, "Bob Axe");
    await (await menuOf(ann.page, "hi Ann")).getByRole("menuitem", { name: "Report…" }).click();
    await expect(ann.page.getByRole("dialog")).toBeVisible();
  });
  await check(ann.page, "search dialog", found, async () => {
    await toChats(ann.page);
    await ann.page.getByRole("button", { name: "Search messages" }).click();
    await ann.page.getByTestId("search-dialog").locator("input").first().fill("hello");
    await expect(ann.page.getByTestId("search-dialog").getByTestId("search-result").first()).toBeVisible();
  });

  // New chat, a group (a request for Bob) and its panel; a folder from a label.
  await check(ann.page, "new chat", found, async () => {
    await toChats(ann.page);
    await ann.page.getByRole("button", { name: "New chat" }).click();
    await ann.page.getByLabel("Find people").fill(bob.username);
    await expect(ann.page.getByTestId("user-result").first()).toBeVisible();
  });
  await toChats(ann.page);
  await createGroup(ann.page, bob, "Axe club");
  await send(ann.page, "welcome to the club");
  await check(ann.page, "group chat and its panel", found, async () => {
    await toChats(ann.page);
    await openConversation(ann.page, "Axe club");
    await ann.page.getByTestId("group-info").click();
    await expect(ann.page.getByTestId("group-panel")).toBeVisible();
  });
  await toChats(ann.page);
  await ann.page.getByTestId("conversation-item").filter({ hasText: "Bob Axe" }).filter({ hasNotText: listing }).press("Shift+F10");
  await ann.page.getByRole("menuitem", { name: "Label…" }).click();
  const labels = ann.page.getByTestId("label-dialog");
  await labels.getByLabel("New label…").check();
  await labels.getByLabel("New label", { exact: true }).fill("Friends");
  await labels.getByRole("button", { name: "Save" }).click();
  await check(ann.page, "conversation list (folders), conversation menu", found, async () => {
    await toChats(ann.page);
    await expect(ann.page.getByTestId("folder-bar")).toContainText("Friends");
    await ann.page.getByTestId("row-menu").first().click();
    await expect(ann.page.getByRole("menu")).toBeVisible();
  });
  await check(bob.page, "conversation list (requests)", found, async () => {
    await toChats(bob.page);
    await expect(bob.page.getByTestId("request").filter({ hasText: "Cat club" })).toBeVisible();
  });
  await check(ann.page, "settings", found, async () => {
    await ann.page.keyboard.press("Escape");
    await ann.page.getByRole("button", { name: "Settings" }).click();
    await expect(ann.page.getByRole("heading", { name: "Settings" })).toBeVisible();
  });

  // The admin dashboard.
  const admin = await (await browser.newContext()).newPage();
  await admin.goto("/admin");
  await admin.getByLabel("Admin token").fill(E2E_ADMIN_TOKEN);
  await admin.getByLabel("Admin token").press("Enter");
  await check(admin, "admin dashboard", found, async () => {
    await expect(admin.getByRole("heading", { name: "Delivery", exact: true })).toBeVisible();
    await expect(admin.getByTestId("updated")).toContainText("Updated");
  });

  expect(found, `axe found serious or critical violations:\n${report(found)}`).toEqual([]);
});

/** The visually hidden region where a screen reader hears new messages. */
const announcer = (page: Page) => page.getByRole("log", { name: "New messages" });

test("the Chinese screens pass axe too (names, the lang of the page)", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann Zh", transport);
  const bob = await signUp(browser, "bob", "Bob Zh", transport);
  const { page } = ann;
  await startDirectChat(ann, bob);
  await send(ann.page, "你好");
  await page.evaluate(() => localStorage.setItem("courier.language", "zh"));
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  const found: Found[] = [];
  const chats = async () => {
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: zh.shell.chats, exact: true }).click();
    await expect(page.getByTestId("conversation-item").first()).toBeVisible();
  };
  await check(page, "zh: conversation", found, async () => {
    await chats();
    await openConversation(page, "Bob Zh");
    await expect(bubble(page, "你好")).toBeVisible();
  });
  await check(page, "zh: new chat", found, async () => {
    await chats();
    await page.getByRole("button", { name: zh.shell.newChat }).click();
    await expect(page.getByLabel(zh.newChat.findPeople)).toBeVisible();
  });
  await check(page, "zh: settings", found, async () => {
    await chats();
    await page.getByRole("button", { name: zh.shell.settings }).click();
    await expect(page.getByTestId("settings")).toBeVisible();
  });
  expect(found, `axe found serious or critical violations:\n${report(found)}`).toEqual([]);
});

test("a new message is announced in a live region, never the history nor my own", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann Live", transport);
  const bob = await signUp(browser, "bob", "Bob Live", transport);
  await startDirectChat(ann, bob);
  await send(ann.page, "first from Ann");
  await openConversation(bob.page, "Ann Live");
  await expect(bubble(bob.page, "first from Ann")).toBeVisible();
  await expect(announcer(bob.page)).toHaveAttribute("aria-live", "polite");

  // In the open conversation: who and what; my own sends are not told.
  await send(ann.page, "second from Ann");
  await expect(announcer(bob.page)).toContainText("Ann Live: second from Ann");
  await send(bob.page, "reply from Bob");
  await expect(announcer(ann.page)).toContainText("Bob Live: reply from Bob");
  await expect(bubble(bob.page, "reply from Bob")).toBeVisible();
  await expect(announcer(bob.page)).not.toContainText("reply from Bob");
  await expect(announcer(bob.page)).not.toContainText("first from Ann");

  // Opened again with its history read from IndexedDB: nothing is read out, until something new comes.
  await bob.page.reload();
  await openConversation(bob.page, "Ann Live");
  await expect(bubble(bob.page, "second from Ann")).toBeVisible();
  await expect(bob.page.getByTestId("connection-status")).toHaveAttribute("data-state", "online");
  await expect(announcer(bob.page)).toHaveText("");
  await send(ann.page, "third from Ann");
  await expect(bubble(bob.page, "third from Ann")).toBeVisible();
  await expect(announcer(bob.page)).toHaveText("Ann Live: third from Ann");

  // Elsewhere: only that there is a new message, and where (its text stays in the list).
  await bob.page.getByRole("button", { name: "Chats", exact: true }).click();
  await bob.page.getByRole("button", { name: "New chat" }).click();
  await send(ann.page, "fourth from Ann");
  await expect(announcer(bob.page)).toContainText("New message in Ann Live");
  await expect(announcer(bob.page)).not.toContainText("fourth from Ann");
});

test("the keyboard moves through the list, Escape closes menus and dialogs, and focus is never lost", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann Keys", transport);
  const bob = await signUp(browser, "bob", "Bob Keys", transport);
  const { page } = ann;
  await startDirectChat(ann, bob);
  await send(page, "hello Bob");
  // The sign-in screen's tabs: only the chosen one is in the Tab order; the arrow keys switch.
  const fresh = await (await browser.newContext()).newPage();
  await fresh.goto("/");
  const signInTab = fresh.getByRole("tab", { name: "Sign in" });
  const signUpTab = fresh.getByRole("tab", { name: "Create account" });
  await signInTab.focus();
  await fresh.keyboard.press("Tab");
  await expect(fresh.getByLabel("Username")).toBeFocused();
  await signInTab.focus();
  await fresh.keyboard.press("ArrowRight");
  await expect(signUpTab).toBeFocused();
  await expect(signUpTab).toHaveAttribute("aria-selected", "true");
  await expect(fresh.getByLabel("Display name")).toBeVisible();
  await fresh.keyboard.press("ArrowRight");
  await expect(signInTab).toBeFocused();
  await expect(signInTab).toHaveAttribute("aria-selected", "true");
  await expect(fresh.getByRole("tabpanel", { name: "Sign in" })).toBeVisible();
  await fresh.context().close();

  // Escape in New chat clears the search, then goes back to the chats.
  await page.getByRole("button", { name: "New chat" }).click();
  await page.getByLabel("Find people").fill(bob.username);
  // From a result's button: the results go with the cleared search, focus goes back to it.
  await page.getByTestId("user-result").filter({ hasText: "Bob Keys" }).getByRole("button").first().focus();
  await page.keyboard.press("Escape");
  await expect(page.getByLabel("Find people")).toHaveValue("");
  await expect(page.getByLabel("Find people")).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(page.getByLabel("Find people")).toHaveCount(0);
  await expect(page.getByTestId("conversation-item")).toHaveCount(1);
  for (const title of ["Keys Alpha", "Keys Beta"]) {
    await page.getByRole("button", { name: "New chat" }).click();
    await page.getByLabel("Find people").fill(bob.username);
    await page.getByTestId("user-result").filter({ hasText: "Bob Keys" }).locator("label").click();
    await page.getByLabel("Group name").fill(title);
    await page.getByRole("button", { name: "Create group" }).click();
    await expect(page.getByTestId("conversation").getByRole("heading", { name: title })).toBeVisible();
  }
  const items = page.getByTestId("conversation-item");
  await expect(items).toHaveCount(3);
  let ids = await items.evaluateAll((els) => els.map((el) => el.getAttribute("data-conversation-id") ?? ""));
  const item = (n: number) => page.locator(`[data-testid="conversation-item"][data-conversation-id="${ids[n]}"]`);

  // Arrow keys, Home and End move between conversations; Enter opens one.
  await items.first().focus();
  await page.keyboard.press("ArrowDown");
  await expect(item(1)).toBeFocused();
  await page.keyboard.press("End");
  await expect(item(2)).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(item(2)).toBeFocused();
  await page.keyboard.press("Home");
  await expect(item(0)).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowUp");
  await expect(item(0)).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  await expect(item(1)).toHaveAttribute("aria-current", "true");

  // Sending keeps focus in the composer.
  const composer = page.getByLabel("Message", { exact: true });
  await composer.focus();
  await page.keyboard.type("sent by keyboard");
  await page.keyboard.press("Enter");
  await expect(bubble(page, "sent by keyboard")).toBeVisible();
  await expect(composer).toBeFocused();

  // The search dialog: Escape closes it, focus goes back to its button.
  await page.getByTestId("conversation-search").focus();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("search-dialog")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("search-dialog")).toBeHidden();
  await expect(page.getByTestId("conversation-search")).toBeFocused();

  // A row's menu: Escape closes it and focus is back on the row; so does a dialog opened from it.
  await item(0).focus();
  await page.keyboard.press("Shift+F10");
  await expect(page.getByRole("menu")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("menu")).toBeHidden();
  await expect(item(0)).toBeFocused();
  await page.keyboard.press("Shift+F10");
  await page.getByRole("menuitem", { name: "Label…" }).press("Enter");
  await expect(page.getByTestId("label-dialog")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("label-dialog")).toBeHidden();
  await expect(item(0)).toBeFocused();

  // Archiving the middle row: focus moves to the row after it (in today's order: sending moved one up).
  ids = await items.evaluateAll((els) => els.map((el) => el.getAttribute("data-conversation-id") ?? ""));
  await item(1).focus();
  await page.keyboard.press("Shift+F10");
  const archive = page.getByRole("menuitem", { name: "Archive" });
  await expect(page.getByRole("menu")).toBeVisible();
  for (let i = 0; i < 10 && !(await archive.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("ArrowDown");
  await expect(archive).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(item(1)).toHaveCount(0);
  await expect(item(2)).toBeFocused();

  // Dialogs that safety and the message menu open: focus goes back to what opened the menu when they close.
  const direct = items.filter({ hasText: "Bob Keys" });
  await direct.focus();
  await page.keyboard.press("Shift+F10");
  await page.getByRole("menuitem", { name: "Block Bob Keys…" }).press("Enter");
  await expect(page.getByTestId("block-dialog")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("block-dialog")).toBeHidden();
  await expect(direct).toBeFocused();
  await direct.press("Enter");
  await expect(bubble(page, "hello Bob")).toBeVisible();
  const mine = bubble(page, "hello Bob");
  await mine.hover();
  const actions = mine.getByRole("button", { name: "Message actions" });
  await actions.focus();
  await page.keyboard.press("Enter");
  await page.getByRole("menuitem", { name: "Copy text" }).press("Enter");
  await expect(page.getByRole("menu")).toBeHidden();
  // After the action focus is on its message (the list's roving focus), not lost to the page.
  await expect(mine).toBeFocused();
});
