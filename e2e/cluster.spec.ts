import { bubbleTexts, expect, expectOnline, messages, openConversation, send, signUp, startDirectChat, test, type Person } from "./fixtures.js";
import { type CourierCluster, startCluster } from "./support/cluster.js";

/**
 * Two processes, one Courier (PostgreSQL + Redis), through the real app in
 * Chromium: Alice's browser reaches process 1 and Bob's process 2 (each
 * through a balancer listener that prefers that process and fails over to
 * the other), so every message crosses between processes. Then the process
 * Alice is on is SIGKILLed while both keep typing: her app reconnects
 * through the balancer to process 2, her unsent messages go out again, and
 * both screens end with every message once, in the order each was typed.
 */
let cluster: CourierCluster;
test.beforeAll(async () => {
  cluster = await startCluster();
});
test.afterAll(async () => {
  await cluster?.stop();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("two browsers on different processes chat; the process one is on is killed mid-conversation; nothing is lost, doubled or reordered", async ({ browser, transport }) => {
  test.setTimeout(120_000);
  const [toOne, toTwo] = cluster.prefer as [(typeof cluster.prefer)[0], (typeof cluster.prefer)[0]];
  const alice = await signUp(browser, "alice", "Alice Cluster", transport, { baseURL: toOne.url });
  const bob = await signUp(browser, "bob", "Bob Cluster", transport, { baseURL: toTwo.url });
  // Each browser is connected to its own process only.
  expect(toOne.live()).toEqual([expect.any(Number), 0]);
  expect(toTwo.live()).toEqual([0, expect.any(Number)]);

  const typed: { from: Person; text: string }[] = [];
  const say = async (from: Person, text: string) => {
    typed.push({ from, text });
    await send(from.page, text);
  };
  const texts = () => typed.map((t) => t.text);

  // Both directions, each message live on the other process before the next.
  await startDirectChat(alice, bob);
  await say(alice, "hello from process 1");
  await openConversation(bob.page, "Alice Cluster");
  await expect.poll(() => bubbleTexts(bob.page)).toEqual(texts());
  for (let i = 1; i <= 3; i++) {
    await say(bob, `bob ${i}`);
    await expect.poll(() => bubbleTexts(alice.page)).toEqual(texts());
    await say(alice, `alice ${i}`);
    await expect.poll(() => bubbleTexts(bob.page)).toEqual(texts());
  }

  // Both keep typing; process 1 dies under Alice in the middle of it.
  let killed: Promise<void> | null = null;
  let killedAt = 0;
  for (let i = 1; i <= 16; i++) {
    if (i === 5) {
      killedAt = Date.now();
      killed = cluster.processes[0]!.kill("SIGKILL");
    }
    await say(i % 3 === 0 ? alice : bob, `${i % 3 === 0 ? "alice" : "bob"} during ${i}`);
    if (i % 4 === 0) await say(alice, `alice during ${i}b`);
    await pause(60 + ((i * 37) % 90));
  }
  await killed;

  // Alice's app is back, through the same address, on process 2.
  await expectOnline(alice.page, transport);
  const backAfterMs = Date.now() - killedAt;
  expect(toOne.live()).toEqual([0, expect.any(Number)]);

  // Every message on both screens, once each, in one shared order; each sender's in the order typed.
  for (const person of [alice, bob]) {
    await expect.poll(async () => (await bubbleTexts(person.page)).length, { timeout: 30_000 }).toBe(typed.length);
  }
  const [seenByAlice, seenByBob] = await Promise.all([bubbleTexts(alice.page), bubbleTexts(bob.page)]);
  const description = `${typed.length} messages; Alice seen online on process 2 ${backAfterMs} ms after process 1 was killed (typing went on meanwhile)`;
  test.info().annotations.push({ type: "cluster", description });
  console.info(`cluster: ${description}`);
  expect(new Set(seenByAlice)).toEqual(new Set(texts()));
  expect(seenByAlice).toHaveLength(typed.length);
  expect(seenByBob).toEqual(seenByAlice);
  for (const person of [alice, bob]) {
    const mine = typed.filter((t) => t.from === person).map((t) => t.text);
    expect(seenByAlice.filter((t) => mine.includes(t))).toEqual(mine);
    // And each of the sender's own is confirmed by the server.
    await expect(messages(person.page).and(person.page.locator('[data-status="sending"], [data-status="failed"]'))).toHaveCount(0);
  }
  await alice.context.close();
  await bob.context.close();
});
