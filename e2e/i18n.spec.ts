import { en } from "../web/i18n/locales/en/index.js";
import { zh } from "../web/i18n/locales/zh/index.js";
import { appUrl, bubble, expect, expectOnline, openConversation, PASSWORD, signUp, startDirectChat, test, uniqueUsername } from "./fixtures.js";

// Issue 17: a browser that prefers Chinese gets Courier in Chinese, from the first screen; Intl writes its
// times; a server error is in Chinese; Settings → Language switches at once, survives a reload, and never
// changes what the other person (in English) sees. The words come from the catalogs the app uses, so a
// reworded string does not break the journey; web/i18n/catalog.test.ts checks the Chinese is Chinese.
test("a Chinese browser gets Courier in Chinese; times, errors and Settings → Language follow", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral (the words are the app's, not the link's): runs once, on WebSocket");
  const bob = await signUp(browser, "bob", "Bob", transport);

  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await page.goto(appUrl(transport));
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  await expect(page.getByText(zh.auth.tagline)).toBeVisible();

  // A failed sign-in is explained in Chinese.
  await page.getByLabel(zh.auth.username).fill(uniqueUsername("nobody"));
  await page.getByLabel(zh.auth.password).fill(PASSWORD);
  await page.getByRole("button", { name: zh.auth.tabs.signIn }).click();
  await expect(page.getByText(zh.auth.server.wrongPassword)).toBeVisible();

  const username = uniqueUsername("li");
  await page.getByRole("tab", { name: zh.auth.tabs.signUp }).click();
  await page.getByLabel(zh.auth.username).fill(username);
  await page.getByLabel(zh.auth.displayName).fill("李雷");
  await page.getByLabel(zh.auth.password).fill(PASSWORD);
  await page.getByRole("button", { name: zh.auth.tabs.signUp }).click();
  await expect(page.getByTestId("current-user")).toBeVisible();
  await expectOnline(page, transport);
  await expect(page.getByRole("button", { name: zh.shell.newChat })).toBeVisible();

  // Bob writes in English; 李雷 answers in Chinese through the Chinese composer.
  await startDirectChat(bob, { context, page, username, displayName: "李雷", transport });
  const composer = (p: typeof page, label: string) => p.getByLabel(label, { exact: true });
  await composer(bob.page, en.conversation.composer.label).fill("Is the bike still for sale?");
  await composer(bob.page, en.conversation.composer.label).press("Enter");
  await openConversation(page, "Bob");
  await expect(bubble(page, "Is the bike still for sale?")).toBeVisible();
  await composer(page, zh.conversation.composer.label).fill("还在，周末可以看车。");
  await composer(page, zh.conversation.composer.label).press("Enter");
  await expect(bubble(bob.page, "还在，周末可以看车。")).toBeVisible();
  // A right-to-left message reads right to left on both screens (its direction from its own first strong letter).
  await composer(bob.page, en.conversation.composer.label).fill("שלום, the bike is 120");
  await composer(bob.page, en.conversation.composer.label).press("Enter");
  for (const p of [bob.page, page]) {
    const body = bubble(p, "שלום, the bike is 120").getByTestId("message-text");
    await expect.poll(() => body.evaluate((el) => getComputedStyle(el).direction)).toBe("rtl");
  }
  expect(await bubble(page, "还在，周末可以看车。").getByTestId("message-text").evaluate((el) => getComputedStyle(el).direction)).toBe("ltr");
  // So does its preview in the list, beside a name written left to right.
  const preview = page.getByTestId("conversation-item").filter({ hasText: "Bob" }).locator(".preview-text");
  await expect(preview).toHaveText("שלום, the bike is 120");
  expect(await preview.evaluate((el) => getComputedStyle(el).direction)).toBe("rtl");

  // Times as each locale writes them: 24-hour "09:36" for zh-CN, "9:36 AM" (no leading zero) for en-US.
  const time = async (p: typeof page, text: string) => (await bubble(p, text).locator("time").first().innerText()).replace(/\s/gu, " ");
  expect(await time(page, "还在，周末可以看车。")).toMatch(/^\d{2}:\d{2}$/);
  expect(await time(bob.page, "还在，周末可以看车。")).toMatch(/^(1[0-2]|[1-9]):[0-5]\d [AP]M$/);
  await expect(page.getByRole("separator").filter({ hasText: zh.time.today })).toBeVisible();

  // Settings → Language → English: at once, no reload; kept after one.
  await page.getByRole("button", { name: zh.shell.settings }).click();
  await expect(page.getByRole("heading", { name: zh.language.heading })).toBeVisible();
  const rowOptions = (template: string) => page.getByRole("button", { name: template.replace("{{title}}", "Bob"), exact: true });
  await expect(rowOptions(zh.chats.row.options)).toBeVisible();
  await page.getByLabel(en.language.names.en, { exact: true }).check();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.getByRole("heading", { name: en.language.heading })).toBeVisible();
  // The conversation list's rows (they take the list's t, not a hook each) follow at once too.
  await expect(rowOptions(en.chats.row.options)).toBeVisible();
  await page.reload();
  await expect(page.getByRole("button", { name: en.shell.settings })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");

  // Back to the browser's language: Chinese again. Bob's screen never changed.
  await page.getByRole("button", { name: en.shell.settings }).click();
  await page.getByRole("radio", { name: /简体中文/ }).first().check();
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  await expect(page.getByRole("heading", { name: zh.language.heading })).toBeVisible();
  await expect(bob.page.locator("html")).toHaveAttribute("lang", "en");
  await expect(bob.page.getByRole("button", { name: en.shell.newChat })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("settings-zh.png"), fullPage: true });
});

// Issue 16: the Chinese catalog is a chunk of its own, loaded only when Chinese is in use. The service worker
// keeps it with the shell (index.html names it), so switching to Chinese, and a start in Chinese, work offline.
test("offline, an English browser switches to Chinese and opens in Chinese after a reload", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral (the words are the app's, not the link's): runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann", transport, { locale: "en-US" });
  const page = ann.page;
  await page.evaluate(async () => void (await navigator.serviceWorker.ready));
  const chunk = await page.evaluate(() => document.querySelector<HTMLLinkElement>('link[rel="prefetch"]')?.href ?? "");
  expect(chunk).toMatch(/\/assets\/zh-[^/]+\.js$/);
  await expect.poll(() => page.evaluate(async (url) => !!(await caches.match(url)), chunk)).toBe(true);

  await ann.context.setOffline(true);
  await page.reload();
  await expect(page.getByRole("button", { name: en.shell.settings })).toBeVisible();
  await page.getByRole("button", { name: en.shell.settings }).click();
  await page.getByRole("radio", { name: /简体中文/ }).first().check();
  await expect(page.getByRole("heading", { name: zh.language.heading })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");

  await page.reload();
  await expect(page.getByRole("button", { name: zh.shell.settings })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  await ann.context.setOffline(false);
  await ann.context.close();
});
