import { ServerProcess } from "../server/testing/server-process.js";
import { bubble, createListing, expect, menuOf, openConversation, send, signUp, startDirectChat, test } from "./fixtures.js";

/**
 * Safety (issue 14, docs/protocol.md "Safety (issue 14)"): the calm note
 * under a message with a phone number (the recipient's screen only), the item
 * chat's tips, a block that stops a direct chat both ways and Settings'
 * Unblock, and a report that reaches the admins' list.
 */

const PHONE = { width: 390, height: 844 };
const NOTE = "Keep the conversation and payment in Courier — it protects you.";

test("a phone number shows the calm note to the recipient only; an item chat shows the tips until dismissed", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann Seller", transport);
  const bob = await signUp(browser, "bob", "Bob Buyer", transport);
  // Bob reads on a phone-sized screen in dark mode (signing up needs the header's room for his name).
  await bob.page.setViewportSize(PHONE);
  await bob.page.emulateMedia({ colorScheme: "dark" });
  await startDirectChat(ann, bob);
  await send(ann.page, "Text me on 07700 900123 and pay by bank transfer");
  await send(ann.page, "It's £1,200, collected 12/05/2024");
  await openConversation(bob.page, "Ann Seller");
  await expect(bubble(bob.page, "07700 900123")).toBeVisible();
  await expect(bubble(bob.page, "07700 900123").getByTestId("contact-note")).toHaveText(NOTE);
  await expect(bubble(bob.page, "£1,200").getByTestId("contact-note")).toHaveCount(0);
  // The sender sees their own message without it.
  await expect(bubble(ann.page, "07700 900123")).toBeVisible();
  await expect(ann.page.getByTestId("contact-note")).toHaveCount(0);
  await bob.page.screenshot({ path: test.info().outputPath("contact-note-phone-dark.png") });

  // An item chat: the tips sit at the top until dismissed.
  await createListing(ann.page, "Road bike", "120");
  await bob.page.getByRole("button", { name: "Listings" }).click();
  await bob.page.getByTestId("listing-card").filter({ hasText: "Road bike" }).getByRole("button", { name: "Ask the seller" }).click();
  const tips = bob.page.getByTestId("safety-tips");
  await expect(tips).toHaveText(/Pay in Courier; meet in public; check the item before you pay/);
  await bob.page.screenshot({ path: test.info().outputPath("safety-tips-phone-dark.png") });
  await tips.getByRole("button", { name: "Dismiss the safety tips" }).click();
  await expect(tips).toHaveCount(0);
});

test("a block stops a direct chat both ways (the blocked side's send fails with the reason); unblocking in Settings restores it", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann Blocker", transport);
  const bob = await signUp(browser, "bob", "Bob Blocked", transport);
  await startDirectChat(ann, bob);
  await send(ann.page, "Hi Bob");
  await openConversation(bob.page, "Ann Blocker");
  await expect(bubble(bob.page, "Hi Bob")).toBeVisible();

  // Ann blocks Bob from the header's ⋯ menu, with a confirm.
  await ann.page.getByTestId("conversation-options").click();
  await ann.page.getByRole("menuitem", { name: "Block Bob Blocked…" }).click();
  const confirm = ann.page.getByTestId("block-dialog");
  await expect(confirm).toContainText("They won't be able to message you");
  await confirm.getByRole("button", { name: "Block" }).click();
  const banner = ann.page.getByTestId("blocked-banner");
  await expect(banner).toContainText("You blocked this person.");
  await expect(ann.page.getByLabel("Message", { exact: true })).toHaveCount(0);
  await ann.page.screenshot({ path: test.info().outputPath("blocked-banner.png") });

  // Bob's message fails with the sentence, and never reaches Ann.
  await send(bob.page, "Why not?");
  const failed = bubble(bob.page, "Why not?");
  await expect(failed).toContainText("You can't message this person.");
  await bob.page.screenshot({ path: test.info().outputPath("blocked-send-failed.png") });
  await expect(bubble(ann.page, "Why not?")).toHaveCount(0);

  // Unblock in Settings: the composer is back and messages flow both ways again.
  await ann.page.getByRole("button", { name: "Settings" }).click();
  const blocked = ann.page.getByTestId("blocked-people");
  await expect(blocked).toContainText("Bob Blocked");
  await ann.page.screenshot({ path: test.info().outputPath("settings-blocked-people.png") });
  await blocked.getByRole("button", { name: "Unblock" }).click();
  await expect(blocked).toContainText("You haven't blocked anyone.");
  await openConversation(ann.page, "Bob Blocked");
  await expect(ann.page.getByTestId("blocked-banner")).toHaveCount(0);
  await send(ann.page, "Sorry, unblocked");
  await expect(bubble(bob.page, "Sorry, unblocked")).toBeVisible();
  await send(bob.page, "Thanks");
  await expect(bubble(ann.page, "Thanks")).toBeVisible();
});

test("in a group, blocking a member from their message hides their messages on the blocker's screen; they still arrive there", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const ann = await signUp(browser, "ann", "Ann Member", transport);
  const bob = await signUp(browser, "bob", "Bob Noisy", transport);
  // Bob has written to Ann before, so her group takes him in at once (docs/groups.md, consent).
  await startDirectChat(ann, bob);
  await send(ann.page, "hi");
  await openConversation(bob.page, "Ann Member");
  await send(bob.page, "hello");
  await expect(bubble(ann.page, "hello")).toBeVisible();
  await ann.page.getByRole("button", { name: "New chat" }).click();
  await ann.page.getByLabel("Find people").fill(bob.username);
  await ann.page.getByLabel(`Add ${bob.displayName} to group`).check();
  await ann.page.getByLabel("Group name").fill("Bike club");
  await ann.page.getByRole("button", { name: "Create group" }).click();
  await send(ann.page, "Welcome to the club");
  await openConversation(bob.page, "Bike club");
  await send(bob.page, "Cheap bikes at my shop");
  await expect(bubble(ann.page, "Cheap bikes at my shop")).toBeVisible();

  const menu = await menuOf(ann.page, "Cheap bikes at my shop");
  await menu.getByRole("menuitem", { name: "Block Bob Noisy…" }).click();
  await ann.page.getByTestId("block-dialog").getByRole("button", { name: "Block" }).click();
  await expect(bubble(ann.page, "Cheap bikes at my shop")).toHaveCount(0);
  await expect(bubble(ann.page, "Welcome to the club")).toBeVisible();
  // A new one reaches Ann's device (Bob sees it read: her open chat read it) and stays off her screen.
  await send(bob.page, "Seriously, cheap bikes");
  await expect(bubble(bob.page, "Seriously, cheap bikes")).toHaveAttribute("data-status", "read");
  await expect(bubble(ann.page, "Seriously, cheap bikes")).toHaveCount(0);
  // Nor in the list's preview of the group.
  const row = ann.page.getByTestId("conversation-item").filter({ hasText: "Bike club" });
  await expect(row).toContainText("Hidden: from someone you blocked");
  await expect(row).not.toContainText("cheap bikes");
  await ann.page.screenshot({ path: test.info().outputPath("group-blocked-member-hidden.png") });
});

const ADMIN_TOKEN = "e2e-admin-token-safety-0123456789";

test("a report of a message, with a reason and a note, reaches the admins' list", async ({ browser, transport }) => {
  test.skip(transport !== "ws", "transport-neutral: runs once, on WebSocket");
  const server = await ServerProcess.start({ env: { ADMIN_TOKEN } });
  try {
    const ann = await signUp(browser, "ann", "Ann Reporter", transport, { baseURL: server.url });
    const bob = await signUp(browser, "bob", "Bob Scammer", transport, { baseURL: server.url });
    await startDirectChat(bob, ann);
    await send(bob.page, "Pay me on paypal.me/bob first");
    await openConversation(ann.page, "Bob Scammer");
    const menu = await menuOf(ann.page, "paypal.me/bob");
    await menu.getByRole("menuitem", { name: "Report…" }).click();
    const dialog = ann.page.getByTestId("report-dialog");
    await dialog.getByRole("button", { name: "Send" }).click();
    await expect(dialog.getByRole("alert")).toHaveText("Choose a reason.");
    await dialog.getByRole("radio", { name: "Scam or fraud" }).check();
    await dialog.getByLabel("Anything to add? (optional)").fill("wants payment outside");
    await ann.page.screenshot({ path: test.info().outputPath("report-dialog.png") });
    await dialog.getByRole("button", { name: "Send" }).click();
    await expect(ann.page.getByText("Thanks for telling us. We'll look into it.")).toBeVisible();
    await expect(dialog).toHaveCount(0);

    const res = await fetch(`${server.url}/api/admin/reports`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const body = (await res.json()) as { reports: { report: Record<string, unknown>; reporter: { username: string }; target: { sender: { username: string } } }[] };
    expect(body.reports).toHaveLength(1);
    expect(body.reports[0]!.report).toMatchObject({ type: "message", reason: "scam", note: "wants payment outside" });
    expect(body.reports[0]!.reporter.username).toBe(ann.username);
    expect(body.reports[0]!.target.sender.username).toBe(bob.username);
  } finally {
    await server.stop();
  }
});
