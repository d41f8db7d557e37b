import type { Page } from "@playwright/test";
import { bubbleTexts, expect, send, signUp, test, type Person } from "./fixtures.js";

/**
 * Groups people can control (docs/groups.md), two people in two browser
 * profiles: a stranger's group arrives as a request (declined, then it can't
 * add them again; accepted, it is a chat), the creator renames and adds, and
 * a member leaves.
 */

async function createGroup(owner: Person, member: Person, title: string): Promise<void> {
  const { page } = owner;
  await page.getByRole("button", { name: "Chats" }).click();
  await page.getByRole("button", { name: "New chat" }).click();
  await page.getByLabel("Find people").fill(member.username);
  // The checkbox says what it does, on screen, in its own label.
  const pick = page.getByTestId("user-result").filter({ hasText: member.displayName }).locator("label");
  await expect(pick).toBeVisible();
  await expect(pick).toContainText("to group");
  await page.getByLabel(`Add ${member.displayName} to group`).check();
  await page.getByLabel("Group name").fill(title);
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(page.getByTestId("conversation").getByRole("heading", { name: title })).toBeVisible();
}

function request(page: Page, title: string) {
  return page.getByTestId("request").filter({ hasText: title });
}

function subtitle(page: Page) {
  return page.getByTestId("conversation").locator(".conversation-heading p");
}

function senders(page: Page) {
  return page.getByTestId("message-list").locator('[data-testid="message"]:not([data-kind="system"]) .sender');
}

function systemLines(page: Page) {
  return page.getByTestId("message-list").locator('[data-kind="system"] [data-testid="message-text"]');
}

async function openGroupInfo(page: Page) {
  await page.getByTestId("group-info").click();
  await expect(page.getByTestId("group-panel")).toBeVisible();
}

async function addFromPanel(owner: Person, member: Person) {
  const panel = owner.page.getByTestId("group-panel");
  await panel.getByLabel("Add people").fill(member.username);
  await panel.getByRole("button", { name: `Add ${member.displayName}` }).click();
}

test("a stranger's groups arrive as requests: decline, accept, rename, add, leave", async ({ browser, transport }) => {
  const ann = await signUp(browser, "ann", "Ann Organiser", transport);
  const bob = await signUp(browser, "bob", "Bob Invitee", transport);
  const suffix = bob.username.slice(-4);
  const club = `Book club ${suffix}`;
  const hikers = `Hikers ${suffix}`;

  // Ann and Bob share nothing yet: Bob finds the group among his requests.
  await createGroup(ann, bob, club);
  await expect(request(bob.page, club)).toContainText("Ann Organiser added you");
  await request(bob.page, club).getByRole("button", { name: "Decline" }).click();
  await expect(request(bob.page, club)).toHaveCount(0);
  await expect(bob.page.getByTestId("conversation-item").filter({ hasText: club })).toHaveCount(0);

  // Declining is remembered: Ann can't add Bob to that group again, and is told why.
  await openGroupInfo(ann.page);
  await addFromPanel(ann, bob);
  await expect(ann.page.getByTestId("group-panel").getByRole("alert")).toContainText("declined to join this group");

  // A new group is a new request: Bob is invited, not yet a member, and isn't asked about notifications while he decides.
  await createGroup(ann, bob, hikers);
  await expect(subtitle(ann.page)).toHaveText("1 member · 1 invited");
  await send(ann.page, "Welcome");
  await request(bob.page, hikers).getByRole("link").click();
  await expect(bob.page.getByTestId("request-banner")).toBeVisible();
  await expect.poll(() => bubbleTexts(bob.page)).toEqual(["Welcome"]);
  await expect(bob.page.getByTestId("notification-prompt")).toHaveCount(0);
  // Accepted, it is a chat like any other; the prompt speaks of the group, not of one member.
  await bob.page.getByTestId("request-banner").getByRole("button", { name: "Accept" }).click();
  await expect(subtitle(ann.page)).toHaveText("2 members");
  await expect(bob.page.getByTestId("notification-prompt")).toContainText(`Get notified when someone writes in ${hikers}`);
  const bobsItem = bob.page.getByTestId("conversation-item").filter({ hasText: hikers });
  await expect(bobsItem).toBeVisible();
  await send(bob.page, "Count me in");
  await expect.poll(() => bubbleTexts(ann.page)).toEqual(["Welcome", "Count me in"]);

  // The creator renames; both see the new name and the line saying who did it.
  await openGroupInfo(ann.page);
  const panel = ann.page.getByTestId("group-panel");
  await expect(panel.getByTestId("group-member").filter({ hasText: "Ann Organiser" })).toContainText("Creator");
  await ann.page.screenshot({ path: test.info().outputPath("group-info.png") });
  await panel.getByLabel("Group name").fill(`${hikers} 2026`);
  await panel.getByRole("button", { name: "Rename" }).click();
  await expect(systemLines(ann.page).last()).toHaveText(`You renamed the group to “${hikers} 2026”`);
  await expect(systemLines(bob.page).last()).toHaveText(`Ann Organiser renamed the group to “${hikers} 2026”`);
  await expect(bob.page.getByTestId("conversation").getByRole("heading", { name: `${hikers} 2026` })).toBeVisible();

  // Bob leaves, after saying so twice; the group leaves his list, and Ann sees him go.
  await openGroupInfo(bob.page);
  await bob.page.getByTestId("group-panel").getByRole("button", { name: "Leave group" }).click();
  await bob.page.getByRole("button", { name: "Leave", exact: true }).click();
  await expect(bob.page.getByTestId("conversation-item").filter({ hasText: hikers })).toHaveCount(0);
  await expect(systemLines(ann.page).last()).toHaveText("Bob Invitee left");
  await expect(panel.getByTestId("group-member").filter({ hasText: "Bob Invitee" })).toHaveCount(0);
  // What he wrote keeps his name.
  await expect(senders(ann.page)).toHaveText(["Bob Invitee"]);
  await expect(subtitle(ann.page)).toHaveText("1 member");

  // Ann adds him back: a request again (he left: coming back is his to accept, docs/groups.md).
  await addFromPanel(ann, bob);
  await expect(panel.getByTestId("group-member").filter({ hasText: "Bob Invitee" })).toContainText("Invited");
  await expect(subtitle(ann.page)).toHaveText("1 member · 1 invited");
  await expect(request(bob.page, hikers)).toBeVisible();
  await expect(systemLines(ann.page).last()).toHaveText("You added Bob Invitee");

  for (const p of [ann, bob]) await p.context.close();
});

test("a flood of requests folds into one row; Decline all clears them after asking once", async ({ browser, transport }) => {
  const spammer = await signUp(browser, "spam", "Spam Sender", transport);
  const bob = await signUp(browser, "bob", "Bob Target", transport);
  const origin = new URL(spammer.page.url()).origin;
  const found = await spammer.context.request.get(`/api/users?q=${bob.username}`);
  const bobId = ((await found.json()) as { users: { id: string; username: string }[] }).users.find((u) => u.username === bob.username)!.id;
  for (let i = 0; i < 5; i++) {
    const res = await spammer.context.request.post("/api/conversations", { headers: { origin }, data: { type: "group", title: `Deals ${i}`, memberIds: [bobId] } });
    expect(res.status()).toBe(201);
  }

  // Folded: one row with the count, no Accept buttons filling the screen.
  const toggle = bob.page.getByRole("button", { name: /Requests \(5\)/ });
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await expect(bob.page.getByTestId("request")).toHaveCount(0);
  await toggle.click();
  await expect(bob.page.getByTestId("request")).toHaveCount(5);

  // Decline all asks first; Cancel changes nothing.
  await bob.page.getByRole("button", { name: "Decline all" }).click();
  await bob.page.getByRole("button", { name: "Cancel" }).click();
  await expect(bob.page.getByTestId("request")).toHaveCount(5);
  await bob.page.getByRole("button", { name: "Decline all" }).click();
  await bob.page.getByRole("button", { name: "Decline 5" }).click();
  await expect(bob.page.getByTestId("requests")).toHaveCount(0);
  await expect(bob.page.getByTestId("conversations-empty")).toBeVisible();

  for (const p of [spammer, bob]) await p.context.close();
});
