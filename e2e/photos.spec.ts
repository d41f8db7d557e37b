import type { Locator, Page } from "@playwright/test";
import { cuttableSocket, expect, expectOnline, goOffline, messages, openConversation, send, signUp, startDirectChat, test } from "./fixtures.js";

/**
 * Photos (issue 14): a buyer on a phone-sized screen sends two photos while
 * offline; they wait in the outbox (IndexedDB holds the files) and show as
 * sending; the link returns and they arrive on the seller's screen, who opens
 * the viewer: arrows move, Escape closes and focus comes back.
 */

const PHONE = { width: 390, height: 844 };

/**
 * A real picture drawn in the page (a colour and a letter), as a file to
 * attach: a PNG, or with `noisyJpeg` a JPEG full of noise (megabytes, like a
 * camera's).
 */
async function drawnPng(page: Page, name: string, width: number, height: number, colour: string, noisyJpeg = false): Promise<{ name: string; mimeType: string; buffer: Buffer }> {
  const mimeType = noisyJpeg ? "image/jpeg" : "image/png";
  const dataUrl = await page.evaluate(
    ({ width, height, colour, label, mimeType }) => {
      const canvas = document.createElement("canvas");
      canvas.width = width;
      canvas.height = height;
      const g = canvas.getContext("2d")!;
      g.fillStyle = colour;
      g.fillRect(0, 0, width, height);
      g.fillStyle = "#fff";
      g.font = `bold ${Math.round(height / 3)}px sans-serif`;
      g.fillText(label, width / 3, (height * 2) / 3);
      if (mimeType === "image/jpeg") {
        const pixels = g.getImageData(0, 0, width, height);
        for (let i = 0; i < pixels.data.length; i += 4) pixels.data[i] = (pixels.data[i]! + Math.random() * 120) & 255;
        g.putImageData(pixels, 0, 0);
      }
      return canvas.toDataURL(mimeType, 0.92);
    },
    { width, height, colour, label: name[0]!, mimeType },
  );
  return { name, mimeType, buffer: Buffer.from(dataUrl.split(",")[1]!, "base64") };
}

/** Every image inside has loaded with pixels (from the server, with the session cookie). */
async function expectLoaded(images: Locator, count: number): Promise<void> {
  await expect(images).toHaveCount(count);
  await expect.poll(() => images.evaluateAll((all) => all.filter((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0).length)).toBe(count);
}

test("two photos sent offline from a phone wait in the outbox, arrive when the link returns, and open in the viewer", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const seller = await signUp(browser, "sam", "Sam Seller", transport);
  let socket!: Awaited<ReturnType<typeof cuttableSocket>>;
  const buyer = await signUp(browser, "bea", "Bea Buyer", transport, {}, async (page) => {
    socket = await cuttableSocket(page);
  });
  await startDirectChat(buyer, seller);
  await send(buyer.page, "Is the lamp still for sale?");
  await buyer.page.setViewportSize(PHONE);
  await openConversation(seller.page, "Bea Buyer");
  await expect(messages(seller.page)).toHaveCount(1);

  const files = [await drawnPng(buyer.page, "1-front.png", 640, 480, "#c0392b"), await drawnPng(buyer.page, "2-back.png", 480, 640, "#2563eb")];

  // Offline: no HTTP, no socket.
  const back = await goOffline(buyer, socket);
  await buyer.context.setOffline(true);
  await buyer.page.getByTestId("photo-input").setInputFiles(files);
  await expect(buyer.page.getByTestId("photo-tray").getByRole("img")).toHaveCount(2);
  const composer = buyer.page.getByLabel("Message", { exact: true });
  await expect(composer).toHaveAttribute("placeholder", "Add a caption…");
  await composer.fill("Front and back");
  await composer.press("Enter");
  await expect(buyer.page.getByTestId("photo-tray")).toHaveCount(0);

  const pending = messages(buyer.page).filter({ has: buyer.page.getByTestId("pending-photos") });
  await expect(pending).toHaveAttribute("data-status", "sending");
  await expectLoaded(pending.getByTestId("pending-photos").getByRole("img"), 2); // the previews come from IndexedDB (blob: URLs)
  await expect(pending.getByTestId("message-text")).toHaveText("Front and back");
  await buyer.page.screenshot({ path: test.info().outputPath("photos-phone-offline.png") });

  // The link returns: the photos upload, the message goes, and it is the server's copy that shows.
  await buyer.context.setOffline(false);
  await back();
  await expectOnline(buyer.page, transport);
  const sent = messages(buyer.page).filter({ has: buyer.page.getByTestId("photo-grid") });
  await expect(sent).not.toHaveAttribute("data-status", "sending", { timeout: 15_000 });
  await expect(buyer.page.getByTestId("pending-photos")).toHaveCount(0);
  await expectLoaded(sent.getByTestId("photo-grid").getByRole("img"), 2);
  await buyer.page.emulateMedia({ colorScheme: "dark" });
  await buyer.page.screenshot({ path: test.info().outputPath("photos-phone-sent-dark.png") });

  // The seller sees both, with their caption, and opens the first.
  const arrived = messages(seller.page).filter({ has: seller.page.getByTestId("photo-grid") });
  await expect(arrived.getByTestId("message-text")).toHaveText("Front and back");
  const thumbs = arrived.getByTestId("photo-thumb");
  await expectLoaded(arrived.getByRole("img", { name: "Photo from Bea Buyer" }), 2);
  await thumbs.first().click();
  const viewer = seller.page.getByRole("dialog", { name: "Photo from Bea Buyer" });
  await expect(viewer).toBeVisible();
  await expect(viewer).toHaveAttribute("data-index", "0");
  await expect(viewer.getByRole("button", { name: "Close" })).toBeFocused();
  await expectLoaded(viewer.getByTestId("photo-full"), 1);
  await seller.page.keyboard.press("ArrowRight");
  await expect(viewer).toHaveAttribute("data-index", "1");
  await expectLoaded(viewer.getByTestId("photo-full"), 1);
  // The full size, not the thumbnail (at most 320 px): the second photo is 640 px high.
  expect(await viewer.getByTestId("photo-full").evaluate((img) => (img as HTMLImageElement).naturalHeight)).toBe(640);
  await seller.page.screenshot({ path: test.info().outputPath("photos-viewer-desktop.png") });
  // A click on the photo itself keeps the keys working.
  await viewer.getByTestId("photo-full").click();
  await seller.page.keyboard.press("ArrowLeft");
  await expect(viewer).toHaveAttribute("data-index", "0");
  // Focus stays inside: Tab goes round the dialog's buttons.
  for (let i = 0; i < 4; i++) await seller.page.keyboard.press("Tab");
  await expect(viewer.locator(":focus")).toHaveCount(1);
  await seller.page.keyboard.press("Escape");
  await expect(viewer).toBeHidden();
  await expect(thumbs.first()).toBeFocused();

  // On the phone: the viewer fills the screen; a swipe moves, the close button closes.
  await sent.getByTestId("photo-thumb").nth(1).click();
  const phoneViewer = buyer.page.getByRole("dialog", { name: "Photo from you" });
  await expect(phoneViewer).toHaveAttribute("data-index", "1");
  await expectLoaded(phoneViewer.getByTestId("photo-full"), 1);
  await buyer.page.screenshot({ path: test.info().outputPath("photos-viewer-phone.png") });
  await buyer.page.mouse.move(100, 420);
  await buyer.page.mouse.down();
  await buyer.page.mouse.move(300, 425, { steps: 4 });
  await buyer.page.mouse.up();
  await expect(phoneViewer).toHaveAttribute("data-index", "0");
  await phoneViewer.getByRole("button", { name: "Close" }).click();
  await expect(phoneViewer).toBeHidden();
});

test("photos dropped and pasted are attached; a file that is not a photo is refused before sending; one the server refuses fails with the reason and Retry/Delete", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann Photo", transport);
  const ben = await signUp(browser, "ben", "Ben Photo", transport);
  await startDirectChat(ann, ben);
  const input = ann.page.getByTestId("photo-input");

  await input.setInputFiles([{ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a photo") }]);
  await expect(ann.page.getByTestId("photo-problem")).toHaveText(`"notes.txt" isn't a photo Courier can send (JPEG, PNG, WebP or GIF).`);
  await expect(ann.page.getByTestId("photo-tray")).toHaveCount(0);
  await expect(ann.page.getByTestId("send-button")).toBeDisabled();

  // Dropped on the composer, and pasted into it: attached like picked files.
  const png = await drawnPng(ann.page, "dropped.png", 120, 90, "#2563eb");
  const transfer = await ann.page.evaluateHandle((base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
    return data;
  }, png.buffer.toString("base64"));
  const composer = ann.page.getByLabel("Message", { exact: true });
  await composer.dispatchEvent("dragover", { dataTransfer: transfer });
  await composer.dispatchEvent("drop", { dataTransfer: transfer });
  await expect(ann.page.getByTestId("photo-tray").getByRole("img")).toHaveCount(1);
  await composer.evaluate((el, data) => el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true })), transfer);
  await expect(ann.page.getByTestId("photo-tray").getByRole("img")).toHaveCount(2);
  await ann.page.getByRole("button", { name: "Remove photo 2" }).click();
  await ann.page.getByRole("button", { name: "Remove photo 1" }).click();
  await expect(ann.page.getByTestId("photo-tray")).toHaveCount(0);
  await expect(ann.page.getByRole("button", { name: "Attach photos" })).toBeFocused();

  // Named and typed as a PNG, but not one: only the server can tell (it reads the content).
  await input.setInputFiles([{ name: "fake.png", mimeType: "image/png", buffer: Buffer.from("plain text, not a picture") }]);
  await expect(ann.page.getByTestId("photo-problem")).toHaveCount(0);
  await ann.page.getByTestId("send-button").click();
  const failed = messages(ann.page).filter({ has: ann.page.getByTestId("pending-photos") });
  await expect(failed).toHaveAttribute("data-status", "failed");
  await expect(failed).toContainText("This file isn't a photo Courier can send (JPEG, PNG, WebP or GIF).");
  await expect(failed.getByRole("button", { name: "Retry" })).toBeVisible();
  await expect(failed.getByText("Can't show this photo")).toBeVisible();
  await ann.page.screenshot({ path: test.info().outputPath("photos-refused.png") });
  await failed.getByRole("button", { name: "Delete" }).click();
  await expect(failed).toHaveCount(0);
});

test("a listing with photos: the sell form uploads them, the card shows the first, an edit removes and adds, the item chat shows them and opens the viewer", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const seller = await signUp(browser, "sol", "Sol Seller", transport);
  const buyer = await signUp(browser, "bo", "Bo Buyer", transport);
  const page = seller.page;
  await page.getByRole("button", { name: "Listings" }).click();
  await page.getByRole("button", { name: "Sell something" }).click();
  const title = `Desk lamp ${Date.now()}`;
  await page.getByLabel("Title").fill(title);
  await page.getByLabel("Price").fill("12.50");
  await page.getByTestId("photo-input").setInputFiles([await drawnPng(page, "A.png", 800, 600, "#1b873f"), await drawnPng(page, "B.png", 600, 600, "#b26a00")]);
  await expect(page.getByTestId("photo-tray").getByRole("img")).toHaveCount(2);
  await page.getByRole("button", { name: "Remove photo 2" }).click();
  await expect(page.getByTestId("photo-tray").getByRole("img")).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Remove photo 1" })).toBeFocused();
  // A camera-sized JPEG (megabytes, 2700 px high): made smaller before it is uploaded.
  const camera = await drawnPng(page, "C.jpg", 1800, 2700, "#6d28d9", true);
  expect(camera.buffer.length).toBeGreaterThan(1_500_000);
  await page.getByTestId("photo-input").setInputFiles([camera]);
  await page.getByRole("button", { name: "List it" }).click();

  const card = page.getByTestId("listing-card").filter({ hasText: title });
  await expectLoaded(card.getByTestId("listing-photo").getByRole("img", { name: `Photo of ${title}` }), 1);
  await page.screenshot({ path: test.info().outputPath("photos-listing-cards.png") });

  // Edit: the first photo removed, another added; the card shows the new first photo.
  await card.getByTestId("listing-edit").click();
  const edit = page.getByTestId("edit-listing-dialog");
  await expect(edit.getByRole("img", { name: /^Listing photo/ })).toHaveCount(2);
  await edit.getByRole("button", { name: "Remove listing photo 1" }).click();
  await edit.getByTestId("photo-input").setInputFiles([await drawnPng(page, "D.png", 640, 480, "#0f766e")]);
  await expect(edit.getByTestId("photo-tray").getByRole("img")).toHaveCount(1);
  await page.screenshot({ path: test.info().outputPath("photos-listing-edit.png") });
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit).toBeHidden();
  await expect.poll(() => card.getByTestId("listing-photo").getByRole("img").evaluate((img) => (img as HTMLImageElement).naturalHeight)).toBe(320); // C's thumbnail (A's is 240 high)

  await buyer.page.getByRole("button", { name: "Listings" }).click();
  const theirCard = buyer.page.getByTestId("listing-card").filter({ hasText: title });
  await expectLoaded(theirCard.getByRole("img"), 1);
  await theirCard.getByRole("button", { name: "Ask the seller" }).click();
  const strip = buyer.page.getByTestId("item-photos");
  await expectLoaded(strip.getByRole("img", { name: `Photo of ${title}` }), 2);
  await strip.getByTestId("photo-thumb").first().press("Enter");
  const viewer = buyer.page.getByRole("dialog", { name: `Photo of ${title}` });
  await expect(viewer).toHaveAttribute("data-index", "0");
  await expectLoaded(viewer.getByTestId("photo-full"), 1);
  expect(await viewer.getByTestId("photo-full").evaluate((img) => [(img as HTMLImageElement).naturalWidth, (img as HTMLImageElement).naturalHeight])).toEqual([1707, 2560]);
  await buyer.page.keyboard.press("Escape");
  await expect(viewer).toBeHidden();
  await expect(strip.getByTestId("photo-thumb").first()).toBeFocused();
});
