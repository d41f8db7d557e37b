import type { Page } from "@playwright/test";
import { expect, expectOnline, openConversation, PASSWORD, send, signIn, signUp, startDirectChat, test } from "./fixtures.js";

/**
 * Settings → Account (issue 17): a new display name reaches the people I chat
 * with and my other devices; a new password signs every other device out;
 * another device can be signed out from the list; the theme choice stays.
 */

test.skip(({ transport }) => transport !== "ws", "account settings are the same on every transport; runs once, on WebSocket");

const NEW_PASSWORD = "purple giraffe lamp";

async function openSettings(page: Page) {
  await page.getByRole("button", { name: "Settings" }).click();
  await expect(page.getByTestId("settings")).toBeVisible();
}

test("a new display name shows on the other person's screen and on my other device", async ({ browser, transport }) => {
  const ann = await signUp(browser, "ann", "Ann Smith", transport);
  const annLaptop = await signIn(browser, ann, transport);
  const bob = await signUp(browser, "bob", "Bob", transport);
  await startDirectChat(ann, bob);
  await send(ann.page, "hello Bob");
  await expect(bob.page.getByTestId("conversation-item").filter({ hasText: "Ann Smith" })).toBeVisible();

  await openSettings(ann.page);
  const input = ann.page.getByLabel("The name people see");
  await expect(input).toHaveValue("Ann Smith");
  // Bad input is refused in words, and nothing is sent.
  await input.fill("   ");
  await ann.page.getByRole("button", { name: "Save name" }).click();
  await expect(ann.page.getByTestId("settings").getByRole("alert")).toBeVisible();
  await expect(ann.page.getByTestId("current-user")).toHaveText("Ann Smith");
  await input.fill("Ann Jones");
  await ann.page.getByRole("button", { name: "Save name" }).click();
  await expect(ann.page.getByRole("status").filter({ hasText: "Your name is changed" })).toBeVisible();
  await expect(ann.page.getByTestId("current-user")).toHaveText("Ann Jones");

  // Bob's list follows at once (the conversation is announced again), without a reload.
  await expect(bob.page.getByTestId("conversation-item").filter({ hasText: "Ann Jones" })).toBeVisible();
  await openConversation(bob.page, "Ann Jones");

  // My laptop shows the new name when it next renders the account (Settings), and after a reload.
  await openSettings(annLaptop.page);
  await expect(annLaptop.page.getByTestId("account-name")).toHaveText("Ann Jones");
  await annLaptop.page.reload();
  await expect(annLaptop.page.getByTestId("current-user")).toHaveText("Ann Jones");
});

test("a new password signs my other device out; this one stays; the new password works there", async ({ browser, transport }) => {
  const ann = await signUp(browser, "ann", "Ann", transport);
  const annLaptop = await signIn(browser, ann, transport);
  await openSettings(ann.page);

  // A wrong current password: said clearly, and the laptop stays signed in.
  await ann.page.getByLabel("Current password").fill("not my password");
  await ann.page.getByLabel("New password").fill(NEW_PASSWORD);
  await ann.page.getByRole("button", { name: "Change password" }).click();
  await expect(ann.page.getByTestId("settings").getByRole("alert")).toHaveText("The current password is wrong.");
  await expectOnline(annLaptop.page, transport);

  await ann.page.getByLabel("Current password").fill(PASSWORD);
  await ann.page.getByLabel("New password").fill(NEW_PASSWORD);
  await ann.page.getByRole("button", { name: "Change password" }).click();
  await expect(ann.page.getByRole("status").filter({ hasText: "Your password is changed" })).toBeVisible();

  await expect(annLaptop.page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await expect(ann.page.getByTestId("current-user")).toBeVisible();
  await ann.page.reload();
  await expectOnline(ann.page, transport);

  await annLaptop.page.getByLabel("Username").fill(ann.username);
  await annLaptop.page.getByLabel("Password").fill(NEW_PASSWORD);
  await annLaptop.page.getByRole("button", { name: "Sign in" }).click();
  await expect(annLaptop.page.getByTestId("current-user")).toBeVisible();
});

test("signs another device out from the list, after confirming", async ({ browser, transport }) => {
  const ann = await signUp(browser, "ann", "Ann", transport);
  const annLaptop = await signIn(browser, ann, transport);
  await openSettings(ann.page);
  const rows = ann.page.getByTestId("device-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText("This device");
  const other = rows.filter({ hasNotText: "This device" });
  await expect(other).toContainText("Chrome on Linux");
  await expect(other).toContainText("Online now");
  await ann.page.screenshot({ path: test.info().outputPath("account-desktop-light.png"), fullPage: true });

  // Cancel changes nothing.
  await other.getByRole("button", { name: "Sign out" }).click();
  const dialog = ann.page.getByTestId("device-sign-out-dialog");
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  await expectOnline(annLaptop.page, transport);

  await other.getByRole("button", { name: "Sign out" }).click();
  await dialog.getByRole("button", { name: "Sign out" }).click();
  await expect(annLaptop.page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await expect(rows).toHaveCount(1);
  await expect(ann.page.getByTestId("current-user")).toBeVisible();
});

test("the theme choice applies at once and survives a reload; screenshots on a phone and a desktop", async ({ browser, transport }) => {
  const ann = await signUp(browser, "ann", "Ann", transport, { colorScheme: "light" });
  const theme = () => ann.page.evaluate(() => document.documentElement.getAttribute("data-theme"));
  const background = () => ann.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await openSettings(ann.page);
  const lightBackground = await background();
  await ann.page.getByLabel("Dark").check();
  expect(await theme()).toBe("dark");
  expect(await background()).not.toBe(lightBackground);
  // The browser's bar follows the choice, not the system's light scheme.
  const barColour = () => ann.page.locator('meta[name="theme-color"][media="(prefers-color-scheme: light)"]').getAttribute("content");
  expect(await barColour()).toBe("#1b1e22");
  await ann.page.screenshot({ path: test.info().outputPath("account-desktop-dark.png"), fullPage: true });

  await ann.page.reload();
  // Applied by the boot script in <head>, before the app renders.
  expect(await theme()).toBe("dark");
  await expect(ann.page.getByTestId("current-user")).toBeVisible();
  await openSettings(ann.page);
  await expect(ann.page.getByLabel("Dark")).toBeChecked();

  await ann.page.setViewportSize({ width: 390, height: 844 });
  await ann.page.screenshot({ path: test.info().outputPath("account-phone-dark.png"), fullPage: true });
  await ann.page.getByLabel("System").check();
  expect(await theme()).toBe("light");
  expect(await background()).toBe(lightBackground);
  expect(await barColour()).toBe("#ffffff");
  await ann.page.screenshot({ path: test.info().outputPath("account-phone-light.png"), fullPage: true });
  await ann.page.reload();
  expect(await theme()).toBe("light");
  // System follows the system's setting as it changes, without a reload.
  await ann.page.emulateMedia({ colorScheme: "dark" });
  await expect.poll(theme).toBe("dark");
  expect(await background()).not.toBe(lightBackground);
});
