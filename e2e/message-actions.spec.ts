import type { Page } from "@playwright/test";
import type { Browser } from "@playwright/test";
import { appUrl, bubble, expect, expectOnline, menuOf, openConversation, PASSWORD, send, signUp, startDirectChat, test, type Person } from "./fixtures.js";

/**
 * Message actions (issue 13): the menu by mouse, keyboard and long-press on a
 * phone; recall seen on the other screen within a second and gone from
 * IndexedDB; delete for me; a reply's quote jumping into history.
 */

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true };

/** Every message row this browser stores, as JSON: to look for text that must be gone. */
function storedRows(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const names = (await indexedDB.databases()).map((d) => d.name ?? "").filter((n) => n.startsWith("courier-") && n !== "courier-device");
    const rows: unknown[] = [];
    for (const name of names) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      for (const store of ["messages", "conversations", "outbox"]) {
        if (!db.objectStoreNames.contains(store)) continue;
        rows.push(
          await new Promise((resolve, reject) => {
            const req = db.transaction(store).objectStore(store).getAll();
            req.onsuccess = () => resolve(req.result);
            req.onerror = () => reject(req.error);
          }),
        );
      }
      db.close();
    }
    return JSON.stringify(rows);
  });
}

/** Another device of `person`, signed in through the UI (on a phone the header has no room for the name). */
async function device(browser: Browser, person: Person, options = {}): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(appUrl(person.transport));
  await page.getByLabel("Username").fill(person.username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expectOnline(page, person.transport);
  return page;
}

test("recall reaches the other screen within a second and leaves no text; delete for me; the keyboard and a phone's long-press open the menu", async ({ browser, transport }) => {
  const ann = await signUp(browser, "ann", "Ann Recall", transport);
  const bobDesk = await signUp(browser, "bob", "Bob Phone", transport);
  await bobDesk.context.close();
  const phone = await device(browser, bobDesk, PHONE);
  await startDirectChat(ann, bobDesk);
  await send(ann.page, "the secret plan");
  await send(ann.page, "keep this one");
  await openConversation(phone, "Ann Recall");
  await expect(bubble(phone, "the secret plan")).toBeVisible();

  // A phone: long-press opens the menu (inside the screen), a tap elsewhere closes it.
  const target = await bubble(phone, "keep this one").boundingBox();
  const touch = await phone.context().newCDPSession(phone);
  const point = { x: target!.x + 20, y: target!.y + target!.height / 2 };
  await touch.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [point] });
  await expect(phone.getByRole("menu")).toBeVisible();
  await touch.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  const box = await phone.getByRole("menu").boundingBox();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  expect(box!.y + box!.height).toBeLessThanOrEqual(844);
  await expect(phone.getByRole("menuitem")).toHaveText(["Reply", "Copy text", "Delete for me", "Report…"]);
  await phone.screenshot({ path: test.info().outputPath("phone-menu.png") });
  // A tap elsewhere closes it.
  await phone.touchscreen.tap(195, 60);
  await expect(phone.getByRole("menu")).toHaveCount(0);

  // Recall by mouse: Bob's screen shows the tombstone within a second.
  const menu = await menuOf(ann.page, "the secret plan");
  await expect(menu.getByRole("menuitem")).toHaveText(["Reply", "Copy text", "Recall", "Delete for me"]);
  await ann.page.screenshot({ path: test.info().outputPath("desktop-menu.png") });
  await menu.getByRole("menuitem", { name: "Recall" }).click();
  await expect(phone.getByText("Ann Recall recalled a message")).toBeVisible({ timeout: 1_000 });
  await expect(bubble(phone, "the secret plan")).toHaveCount(0);
  await expect(ann.page.getByText("You recalled a message")).toBeVisible();
  // Focus stays on the message, now its tombstone (not lost to the page).
  const tombstone = bubble(ann.page, "You recalled a message");
  await expect(tombstone).toBeFocused();
  await expect(ann.page.getByTestId("conversation-item").filter({ hasText: "Bob Phone" })).not.toContainText("the secret plan");

  // Gone from IndexedDB on both, and after a reload.
  await expect.poll(() => storedRows(phone)).not.toContain("the secret plan");
  await expect.poll(() => storedRows(ann.page)).not.toContain("the secret plan");
  await phone.reload(); // the conversation stays open (it is in the address)
  await expect(phone.getByText("Ann Recall recalled a message")).toBeVisible();
  await expect(bubble(phone, "keep this one")).toBeVisible();
  await expect(phone.getByTestId("message-list")).not.toContainText("the secret plan");

  // "Edit again" puts the text back in the composer (held only in the tab's memory).
  await ann.page.getByTestId("edit-again").click();
  await expect(ann.page.getByTestId("composer")).toHaveValue("the secret plan");
  await ann.page.getByTestId("composer").fill("");

  // The keyboard: the newest message is the list's tab stop; arrows move, Enter opens, Escape returns focus.
  const kept = bubble(ann.page, "keep this one");
  await kept.focus();
  await ann.page.keyboard.press("Enter");
  await expect(ann.page.getByRole("menu")).toBeVisible();
  await expect(ann.page.getByRole("menuitem", { name: "Reply" })).toBeFocused();
  await ann.page.keyboard.press("ArrowDown");
  await expect(ann.page.getByRole("menuitem", { name: "Copy text" })).toBeFocused();
  await ann.page.keyboard.press("Escape");
  await expect(ann.page.getByRole("menu")).toHaveCount(0);
  await expect(kept).toBeFocused();

  // Delete for me, by keyboard: Shift+F10, End, Enter, then the question's Delete.
  await ann.page.keyboard.press("Shift+F10");
  await ann.page.keyboard.press("End");
  await expect(ann.page.getByRole("menuitem", { name: "Delete for me" })).toBeFocused();
  await ann.page.keyboard.press("Enter");
  await expect(ann.page.getByRole("menu")).toHaveAccessibleName(/Delete this message for you/);
  await ann.page.keyboard.press("Enter");
  await expect(bubble(ann.page, "keep this one")).toHaveCount(0);
  // Focus moves to the message before it (there is none after).
  await expect(tombstone).toBeFocused();
  await expect.poll(() => storedRows(ann.page)).not.toContain("keep this one");
  await ann.page.reload();
  await openConversation(ann.page, "Bob Phone");
  await expect(ann.page.getByText("You recalled a message")).toBeVisible();
  await expect(bubble(ann.page, "keep this one")).toHaveCount(0);
  // The other member keeps it.
  await expect(bubble(phone, "keep this one")).toBeVisible();

  await ann.context.close();
  await phone.context().close();
});

test("a reply quotes its message; tapping the quote loads history far up and scrolls to it", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral (search, history and quotes go over HTTP): runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann Quote", transport);
  const bob = await signUp(browser, "bob", "Bob Reader", transport);
  await startDirectChat(ann, bob);
  await send(ann.page, "hello bob");
  const conversationId = (await ann.page.getByTestId("conversation").getAttribute("data-conversation-id"))!;

  // 120 messages through the API, the first of them quoted by the last.
  const first = await ann.page.evaluate(async (id) => {
    const post = async (body: string, replyTo?: string) => {
      const res = await fetch("/api/messages", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ clientMsgId: crypto.randomUUID(), conversationId: id, kind: "text", body, replyTo }),
      });
      if (!res.ok) throw new Error(`send: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { message: { id: string } }).message;
    };
    const head = await post("the very first question");
    // The fillers ten at a time (their order among themselves does not matter here): 120 one after another took half the test's time on a busy machine.
    for (let i = 2; i <= 120; i += 10) await Promise.all(Array.from({ length: Math.min(10, 121 - i) }, (_, k) => post(`filler ${i + k}`)));
    await post("answering that first question now", head.id);
    return head;
  }, conversationId);
  expect(first.id).toBeTruthy();

  // Bob signs in on a new device: the start of the chat is not on it yet.
  await bob.context.close();
  const page = await device(browser, bob);
  await openConversation(page, "Ann Quote");
  const reply = bubble(page, "answering that first question now");
  await expect(reply).toBeVisible();
  const quote = reply.getByTestId("quote");
  await expect(quote).toContainText(/Ann Quote.*the very first question|Message not loaded/);

  await page.screenshot({ path: test.info().outputPath("quote.png") });
  await quote.click();
  const quoted = page.locator(`[data-message-id="${first.id}"]`);
  await expect(quoted).toBeInViewport();
  await expect(quoted).toContainText("the very first question");
  await expect(quote).toContainText("the very first question");

  // Up in history: "↓ Latest" shows. The jump focused the message, yet typing goes to
  // the composer (no menu opens) and Enter sends; my message scrolls into view.
  await expect(quoted).toBeFocused();
  await expect(page.getByTestId("jump-latest")).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("jump-latest.png") });
  await page.keyboard.type("typed right after the jump");
  await expect(page.getByRole("menu")).toHaveCount(0);
  await page.keyboard.press("Enter");
  await expect(bubble(page, "typed right after the jump")).toBeInViewport();
  await expect(page.getByTestId("jump-latest")).toHaveCount(0);
  await page.screenshot({ path: test.info().outputPath("after-jump-send.png") });
  // Scrolled away again, the button brings the newest back.
  await page.getByTestId("message-list").evaluate((el) => el.scrollTo({ top: 0 }));
  await page.getByTestId("jump-latest").focus();
  await page.keyboard.press("Enter");
  await expect(bubble(page, "typed right after the jump")).toBeInViewport();

  // Bob replies to it in turn: the quote bar, Escape removes it, Reply again and send.
  // (The menu by keyboard is the first test's; here a right-click, as most people open it.)
  await quoted.click({ button: "right" });
  await page.getByRole("menuitem", { name: "Reply" }).click();
  await expect(page.getByTestId("reply-bar")).toContainText("the very first question");
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("reply-bar")).toHaveCount(0);
  // Sent after the quote was removed: no quote (the composer is drawn again only when its props change).
  await page.getByTestId("composer").fill("no quote on this one");
  await page.keyboard.press("Enter");
  await expect(bubble(page, "no quote on this one")).toHaveAttribute("data-status", /sent|delivered|read/);
  await expect(bubble(page, "no quote on this one").getByTestId("quote")).toHaveCount(0);
  await quoted.click({ button: "right" });
  await page.getByRole("menuitem", { name: "Reply" }).click();
  await page.getByTestId("composer").fill("yes, that one");
  await page.keyboard.press("Enter");
  const mine = bubble(page, "yes, that one");
  await expect(mine.getByTestId("quote")).toContainText("the very first question");
  await expect(mine).toHaveAttribute("data-status", /sent|delivered|read/);
  await expect(bubble(ann.page, "yes, that one").getByTestId("quote")).toContainText(/the very first question|Message not loaded/);
  await page.screenshot({ path: test.info().outputPath("reply.png") });

  await ann.context.close();
  await page.context().close();
});
