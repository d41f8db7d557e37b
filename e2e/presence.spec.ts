import { expect, expectOnline, messages, openConversation, send, signUp, startDirectChat, test, type Person } from "./fixtures.js";

/**
 * Presence (issue 14): "is typing…" on the other screen over every transport
 * (the frames travel differently on each), online / last seen, and location
 * messages (WebSocket only: transport-neutral).
 */

const AMSTERDAM = { latitude: 52.370216, longitude: 4.895168 };

/** Ann and Bob with a direct chat that has a first message, open on both screens. */
async function chatting(ann: Person, bob: Person): Promise<void> {
  await startDirectChat(ann, bob);
  await send(ann.page, "hello Bob");
  await openConversation(bob.page, ann.displayName);
  await expect(messages(bob.page).filter({ hasText: "hello Bob" })).toBeVisible();
}

test("the other screen shows 'typing…' while someone types, and not once their message arrives", async ({ browser, transport }) => {
  const ann = await signUp(browser, "ann", "Ann", transport);
  const bob = await signUp(browser, "bob", "Bob", transport);
  await chatting(ann, bob);

  const indicator = bob.page.getByTestId("typing-indicator");
  await expect(indicator).toHaveCount(0);
  await ann.page.getByLabel("Message", { exact: true }).pressSequentially("are you th", { delay: 20 });
  await expect(indicator).toHaveText("typing…");
  // Ann's own screen shows nothing of her typing.
  await expect(ann.page.getByTestId("typing-indicator")).toHaveCount(0);
  if (transport === "ws") await bob.page.screenshot({ path: test.info().outputPath("typing.png") });

  await ann.page.getByLabel("Message", { exact: true }).pressSequentially("ere?", { delay: 20 });
  await ann.page.getByLabel("Message", { exact: true }).press("Enter");
  await expect(messages(bob.page).filter({ hasText: "are you there?" })).toBeVisible();
  await expect(indicator).toHaveCount(0);
});

test("the header says Online while the other person is connected, and when they were last seen after they leave; the setting hides it", async ({
  browser,
  transport,
}) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann", transport);
  const bob = await signUp(browser, "bob", "Bob", transport);
  await chatting(ann, bob);
  const line = bob.page.getByTestId("presence-line");
  await expect(line).toHaveText("Online");

  await ann.context.close();
  // Opened again (the page reloaded), the chat asks afresh.
  await bob.page.reload();
  await expectOnline(bob.page, transport);
  await openConversation(bob.page, "Ann");
  await expect(line).toHaveText("Last seen just now");
  await bob.page.screenshot({ path: test.info().outputPath("last-seen.png") });

  // Bob hides his: he no longer sees Ann's either.
  await bob.page.getByRole("button", { name: "Settings" }).click();
  const toggle = bob.page.getByLabel("Show when I'm online");
  await expect(toggle).toBeChecked();
  await toggle.click();
  await expect(toggle).not.toBeChecked();
  await openConversation(bob.page, "Ann");
  await expect(messages(bob.page).filter({ hasText: "hello Bob" })).toBeVisible();
  await expect(line).toHaveCount(0);
});

test("a chat I opened asks for the other person's presence only once it has a message they can see", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann", transport);
  const bob = await signUp(browser, "bob", "Bob", transport);
  const asked: number[] = [];
  ann.page.on("response", (response) => {
    if (/\/api\/users\/[^/]+\/presence$/.test(new URL(response.url()).pathname)) asked.push(response.status());
  });
  // Opened with no message, the chat is Ann's alone: the server would answer 404 (and the console say so).
  await startDirectChat(ann, bob);
  await expect(ann.page.getByTestId("presence-line")).toHaveCount(0);
  await send(ann.page, "hello Bob");
  await expect(ann.page.getByTestId("presence-line")).toHaveText("Online");
  expect(asked.length).toBeGreaterThan(0);
  expect(asked.filter((status) => status !== 200)).toEqual([]);
});

test("a new chat with someone I share a group with shows their presence at once, before any message", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann", transport);
  const cleo = await signUp(browser, "cleo", "Cleo", transport);
  const cleoId = await cleo.page.evaluate(async () => ((await (await fetch("/api/me")).json()) as { user: { id: string } }).user.id);
  const title = `Book club ${ann.username.slice(-4)}`;
  const origin = new URL(ann.page.url()).origin;
  expect((await ann.context.request.post("/api/conversations", { headers: { origin }, data: { type: "group", title, memberIds: [cleoId] } })).status()).toBe(201);
  // A stranger's group is a request until Cleo accepts it: until then it shares nothing.
  await cleo.page.getByTestId("request").filter({ hasText: title }).getByRole("link").click();
  await cleo.page.getByTestId("request-banner").getByRole("button", { name: "Accept" }).click();
  await expect(cleo.page.getByTestId("request-banner")).toHaveCount(0);

  const asked: number[] = [];
  ann.page.on("response", (response) => {
    if (/\/api\/users\/[^/]+\/presence$/.test(new URL(response.url()).pathname)) asked.push(response.status());
  });
  await startDirectChat(ann, cleo);
  await expect(ann.page.getByTestId("presence-line")).toHaveText("Online");
  expect(asked.filter((status) => status !== 200)).toEqual([]);
});

test("shares an approximate location with a label as a card with an OpenStreetMap link; a refused permission says so", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann", transport, { hasTouch: true, permissions: ["geolocation"], geolocation: AMSTERDAM });
  const bob = await signUp(browser, "bob", "Bob", transport, { colorScheme: "dark" });
  await chatting(ann, bob);
  // Signed up on a wide screen (the helper looks for the name shown there), used on a phone's.
  await ann.page.setViewportSize({ width: 390, height: 844 });

  await ann.page.getByRole("button", { name: "Share location" }).click();
  const dialog = ann.page.getByTestId("location-dialog");
  await expect(dialog.getByTestId("location-preview")).toHaveText("52.370, 4.895");
  await dialog.getByLabel("Label (optional)").fill("Station entrance");
  await ann.page.screenshot({ path: test.info().outputPath("location-dialog-phone.png") });
  await dialog.getByRole("button", { name: "Send" }).click();
  await expect(dialog).toHaveCount(0);

  for (const page of [ann.page, bob.page]) {
    const card = messages(page).getByTestId("location-card");
    await expect(card).toContainText("Station entrance");
    await expect(card).toContainText("≈ 52.370, 4.895");
    const link = card.getByRole("link", { name: "Open in OpenStreetMap" });
    await expect(link).toHaveAttribute("href", "https://www.openstreetmap.org/?mlat=52.370&mlon=4.895#map=16/52.370/4.895");
    await expect(link).toHaveAttribute("rel", "noopener noreferrer");
    await expect(link).toHaveAttribute("target", "_blank");
  }
  await ann.page.screenshot({ path: test.info().outputPath("location-phone.png") });
  await bob.page.screenshot({ path: test.info().outputPath("location-dark.png") });
  // The list's preview (beside the chat on a computer).
  await expect(bob.page.getByTestId("conversation-item").filter({ hasText: "Ann" })).toContainText("[Location] Station entrance");

  // Bob's browser refuses: said plainly, nothing sent.
  await bob.context.clearPermissions();
  await bob.page.getByRole("button", { name: "Share location" }).click();
  await expect(bob.page.getByTestId("location-problem")).toContainText("Location access is blocked");
  await expect(bob.page.getByTestId("location-dialog")).toHaveCount(0);
});
