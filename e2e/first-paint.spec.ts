import type { Browser, Page } from "@playwright/test";
import { SCREEN_HEADROOM } from "../web/boot/first-paint.js";
import { expect, openConversation, send, signUp, startDirectChat, test, type CourierOptions } from "./fixtures.js";

/**
 * The first paint (issue 16, docs/first-paint.md): at a start, the boot
 * script shows the conversation list as the app last drew it, before the
 * app's scripts have run, if what it shows is still what is stored; the app
 * replaces it when it first draws. The app's main script is held here, so
 * what the page shows before the app is there to be seen.
 */

const SAVED = "courier.firstPaint";

/**
 * The copy is saved with `text` on it, and no write was stamped since (a write just before — a receipt, a read
 * marker — is saved again a moment later: a reload in between would rightly show nothing).
 */
async function savedAndCurrent(page: Page, text: string): Promise<void> {
  await expect
    .poll(() =>
      page.evaluate(
        ([key, text]) => {
          const raw = localStorage.getItem(key) ?? "";
          return raw.includes(text) && (JSON.parse(raw) as { stamp: string }).stamp === (localStorage.getItem("courier.listStamp") ?? "");
        },
        [SAVED, text] as const,
      ),
    )
    .toBe(true);
}

const marks = (page: Page) => page.evaluate(() => performance.getEntriesByType("mark").map((m) => m.name));

/** Reloads `page` at the list with the app's main script held until the returned function is called. */
async function reloadWithAppHeld(page: Page): Promise<() => void> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const main = /\/assets\/main-[^/]*\.js$/;
  await page.route(main, async (route) => {
    await held;
    await route.continue();
  });
  // A new document at the list (a goto that only changes the hash would load nothing).
  await page.evaluate(() => history.replaceState(null, "", "/#/"));
  await page.reload({ waitUntil: "commit" });
  // The boot script has read IndexedDB (and painted, or decided not to).
  await expect.poll(() => page.evaluate(() => performance.getEntriesByName("courier:boot-read").length)).toBe(1);
  // Held no longer (a later load of the script goes straight through).
  return release;
}

/**
 * Dana writes `text` to Chen; Chen's list shows it and has saved it as the next start's copy. Chen's profile does
 * without the service worker, which would serve the app's script past page.route.
 */
async function chenHasSaved(browser: Browser, transport: CourierOptions["transport"], suffix: string, text: string) {
  const dana = await signUp(browser, "dana", `Dana ${suffix}`, transport);
  const chen = await signUp(browser, "chen", `Chen ${suffix}`, transport, { serviceWorkers: "block" });
  await startDirectChat(dana, chen);
  await send(dana.page, text);
  const row = chen.page.getByTestId("conversation-item").filter({ hasText: `Dana ${suffix}` });
  await expect(row).toContainText(text);
  // Saved a moment after the list settles (and when the page is left).
  await savedAndCurrent(chen.page, text);
  return { dana, chen, row };
}

test("a start shows the list as last drawn before the app has loaded, as text, and the app takes over", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "the boot script does not depend on the transport: runs once, on WebSocket");
  const { chen, row } = await chenHasSaved(browser, transport, "Paint", "<b>not bold</b> & the lamp");

  // What the page's first frame holds (a frame's animation callbacks run before it is drawn).
  await chen.page.addInitScript(() => {
    requestAnimationFrame(() => {
      (window as unknown as { __firstFrame: unknown }).__firstFrame = { copy: document.getElementById("first-paint") !== null };
    });
  });
  const release = await reloadWithAppHeld(chen.page);
  const paint = chen.page.locator("#first-paint");
  await expect(paint).toBeVisible();
  // The first frame already holds the copy: no frame is drawn before #root is parsed (<link rel="expect">), so a
  // parser that yields after <head> does not put an empty page on screen first. (Without the link this fails only
  // when the parser does yield there: 1 start in 4 on the 2-core CI machine; the page's markup is checked below.)
  await expect.poll(() => chen.page.evaluate(() => (window as unknown as { __firstFrame?: unknown }).__firstFrame)).toEqual({ copy: true });
  // Up, and still up once the boot read is in (reloadWithAppHeld waited for it): not withdrawn as it went up.
  expect(await marks(chen.page)).toContain("courier:first-paint");
  expect(await marks(chen.page)).not.toContain("courier:first-paint-withdrawn");
  await expect(paint).toContainText("Dana Paint");
  // The message's text is text: no element made of it.
  await expect(paint).toContainText("<b>not bold</b> & the lamp");
  await expect(paint.locator("b")).toHaveCount(0);
  await expect(paint.locator(".badge")).toHaveText("1");
  // Hidden from assistive technology and inert (the app's own list follows); no test ids, no links.
  await expect(paint).toHaveAttribute("aria-hidden", "true");
  expect(await paint.evaluate((el) => (el as HTMLElement).inert)).toBe(true);
  await expect(chen.page.getByTestId("conversation-item")).toHaveCount(0);
  await expect(paint.locator("[href], [id], [data-testid]")).toHaveCount(0);
  // Laid out as the app lays it out: the row where the app's row will be.
  const paintedBox = await paint.locator(".conversation-item").first().boundingBox();

  release();
  await expect(row).toBeVisible();
  await expect(paint).toHaveCount(0);
  const appBox = await row.boundingBox();
  expect(appBox && paintedBox && { x: Math.round(paintedBox.x), y: Math.round(paintedBox.y), height: Math.round(paintedBox.height) }).toEqual(
    appBox && { x: Math.round(appBox.x), y: Math.round(appBox.y), height: Math.round(appBox.height) },
  );

  // Nothing the parser must fetch comes before #root: the boot and theme scripts are inline (allowed by their
  // hashes: a CSP violation fails every test), the app's scripts are modules, which never hold the parser.
  const html = await (await chen.page.request.get("/")).text();
  const head = html.slice(0, html.indexOf('<div id="root">'));
  expect(head).toContain("courier:first-paint");
  expect(head).toMatch(/<link rel="expect" href="#root" blocking="render"/);
  expect([...head.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]).filter((tag) => /\ssrc=/.test(tag) && !/type="module"/.test(tag))).toEqual([]);
});

test("the copy holds what the screen can show: rows below it are not saved, and the copy still fills the screen", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "the boot script does not depend on the transport: runs once, on WebSocket");
  // A short screen (and window), so that three conversations run past its bottom.
  const screen = { width: 1280, height: 240 };
  const chen = await signUp(browser, "chen", "Chen Short", transport, { serviceWorkers: "block", viewport: screen, screen });
  for (const name of ["Dana", "Eve", "Finn"]) {
    const other = await signUp(browser, name.toLowerCase(), `${name} Short`, transport);
    await startDirectChat(other, chen);
    await send(other.page, `hello from ${name}`);
    await expect(chen.page.getByTestId("conversation-item").filter({ hasText: `hello from ${name}` })).toBeVisible();
  }
  const rows = chen.page.getByTestId("conversation-item");
  await expect(rows).toHaveCount(3);
  // Saved while scrolled to its end, as someone may leave it (pagehide saves at once): still the list from its top.
  await savedAndCurrent(chen.page, "hello from Finn");
  await chen.page.locator(".conversation-list").evaluate((list) => {
    list.scrollTo(0, list.scrollHeight);
    localStorage.removeItem("courier.firstPaint");
    window.dispatchEvent(new Event("pagehide"));
  });
  await savedAndCurrent(chen.page, "hello from Finn");
  expect(await chen.page.locator(".conversation-list").evaluate((list) => list.scrollTop)).toBeGreaterThan(0);
  // The rows whose top lies at or below the screen's bottom, with the list at its top, are left out of the copy.
  const tops = await rows.evaluateAll((els) => {
    const list = els[0]!.closest(".conversation-list")!;
    return els.map((el) => el.getBoundingClientRect().top + list.scrollTop);
  });
  // The copy reaches a quarter past the screen's height (screenBottom: what may move the rows by the next start).
  const reach = Math.ceil(screen.height * SCREEN_HEADROOM);
  const shown = tops.filter((top) => top < reach).length;
  expect(shown, `row tops ${tops.join(", ")}, the copy reaching ${reach} px`).toBeGreaterThan(0);
  expect(shown).toBeLessThan(3);
  const saved = await chen.page.evaluate((key) => localStorage.getItem(key) ?? "", SAVED);
  expect(saved.match(/"conversation-item"/g)?.length).toBe(shown);

  // At the next start the copy fills the screen all the same: its last row reaches the window's bottom.
  const release = await reloadWithAppHeld(chen.page);
  const painted = chen.page.locator("#first-paint .conversation-item");
  await expect(painted).toHaveCount(shown);
  const bottom = await painted.last().evaluate((el) => el.getBoundingClientRect().bottom);
  expect(bottom).toBeGreaterThanOrEqual(screen.height);
  release();
  await expect(rows).toHaveCount(3);
});

test("nothing is painted once what it showed has changed, and signing out leaves no copy behind", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "the boot script does not depend on the transport: runs once, on WebSocket");
  const { dana, chen } = await chenHasSaved(browser, transport, "Stale", "first words");

  // Chen reads it in the conversation, and a second message arrives while the chat is open: the list's data is no
  // longer what the saved copy shows (nothing is saved away from the list).
  await openConversation(chen.page, "Dana Stale");
  await send(dana.page, "second words");
  await expect(chen.page.getByTestId("message-text").filter({ hasText: "second words" })).toBeVisible();
  let release = await reloadWithAppHeld(chen.page);
  expect(await marks(chen.page)).not.toContain("courier:first-paint");
  await expect(chen.page.locator("#first-paint")).toHaveCount(0);
  release();
  await expect(chen.page.getByTestId("conversation-item").filter({ hasText: "second words" })).toBeVisible();

  // A write the page did not live to draw: the stamp says nothing changed since the copy was saved, the data says
  // otherwise. Shown at once if the parser passes #root before IndexedDB answers (on a quiet machine it does), it
  // is withdrawn once the read is in; if the read comes first, it is never shown. Either way, not on screen now.
  await savedAndCurrent(chen.page, "second words");
  await openConversation(chen.page, "Dana Stale");
  await send(dana.page, "third words");
  await expect(chen.page.getByTestId("message-text").filter({ hasText: "third words" })).toBeVisible();
  // Before the boot script, at the next load only: the stamp the copy was saved under.
  await chen.page.evaluate(() => sessionStorage.setItem("e2e.stampAsSaved", "1"));
  await chen.page.addInitScript((key) => {
    if (sessionStorage.getItem("e2e.stampAsSaved") !== "1") return;
    sessionStorage.removeItem("e2e.stampAsSaved");
    localStorage.setItem("courier.listStamp", (JSON.parse(localStorage.getItem(key)!) as { stamp: string }).stamp);
  }, SAVED);
  release = await reloadWithAppHeld(chen.page);
  await expect(chen.page.locator("#first-paint")).toHaveCount(0);
  const seen = await marks(chen.page);
  if (seen.includes("courier:first-paint")) expect(seen).toContain("courier:first-paint-withdrawn");
  release();
  await expect(chen.page.getByTestId("conversation-item").filter({ hasText: "third words" })).toBeVisible();

  // Back on the list, it is saved again; signing out removes it with the rest of the account's data.
  await savedAndCurrent(chen.page, "third words");
  await chen.page.getByRole("button", { name: "Sign out" }).first().click();
  await expect(chen.page.getByRole("tab", { name: "Create account" })).toBeVisible();
  expect(await chen.page.evaluate((key) => localStorage.getItem(key), SAVED)).toBeNull();
});

test("a tampered saved copy builds no script, handler, link or foreign image: only the allowed tags and attributes", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "the boot script does not depend on the transport: runs once, on WebSocket");
  const { chen } = await chenHasSaved(browser, transport, "Tamper", "hello");

  // What something with access to this origin's storage could write (it could run script already; the copy adds
  // nothing). Written at the next load's start, before the boot script (the page leaving saves its own copy).
  await chen.page.evaluate(() => sessionStorage.setItem("e2e.tamper", "1"));
  await chen.page.addInitScript((key) => {
    if (sessionStorage.getItem("e2e.tamper") !== "1") return;
    sessionStorage.removeItem("e2e.tamper");
    const saved = JSON.parse(localStorage.getItem(key)!) as { tree: unknown[]; stamp: string };
    saved.tree.push(
      ["script", {}, "window.__tampered = 'script'"],
      ["img", { src: "/\\evil.example/x.png", onerror: "window.__tampered = 'onerror'", class: "tampered-img" }],
      ["img", { src: "https://evil.example/x.png", class: "tampered-img2" }],
      ["a", { href: "javascript:window.__tampered='href'", class: "tampered-a" }, "link"],
      ["div", { id: "root", name: "getElementById", onclick: "window.__tampered = 'click'", class: "tampered-div", style: "color: rgb(1, 2, 3)" }, "<img src=x onerror=alert(1)>"],
      ["svg", {}, ["use", { href: "#x" }], ["foreignObject", {}, ["script", {}, "window.__tampered = 'svg'"]]],
      ["iframe", { src: "/" }],
    );
    localStorage.setItem(key, JSON.stringify(saved));
  }, SAVED);
  const release = await reloadWithAppHeld(chen.page);
  const paint = chen.page.locator("#first-paint");
  await expect(paint).toBeVisible();
  expect(await paint.locator("script, iframe, use, foreignObject, [onerror], [onclick], [href], [name], [id]").count()).toBe(0);
  // An image of another site (or one written to look like a path of this one) is built without its address.
  await expect(paint.locator(".tampered-img, .tampered-img2")).toHaveCount(2);
  await expect(paint.locator("img[src]")).toHaveCount(0);
  const div = paint.locator(".tampered-div");
  await expect(div).toHaveText("<img src=x onerror=alert(1)>");
  await expect(div).toHaveCSS("color", "rgb(1, 2, 3)");
  expect(await chen.page.evaluate(() => (window as { __tampered?: string }).__tampered ?? null)).toBeNull();
  expect(await chen.page.evaluate(() => typeof document.getElementById)).toBe("function");
  release();
  await expect(chen.page.getByTestId("conversation-item").filter({ hasText: "hello" })).toBeVisible();
  await expect(paint).toHaveCount(0);
});
