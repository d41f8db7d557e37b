// Where send → the other window's screen goes (issue 16): `npm run build && node --import tsx bench/tools/send-to-screen-probe.ts` (ROUNDS=15, T=ws|sse|poll, PROFILE=1 (the receiving page B) or a (the sending page A), WAIT=ms between rounds, 100; 0 sends the next as soon as B shows the last, as the suite's back-to-back rounds do; PAUSE=ms: Enter that long after `fill`, as a key press to the focused composer; the suite's typed rounds also type the last key on its own, docs/benchmarks.md TYPED).
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "@playwright/test";
import { SESSION_COOKIE } from "../../shared/protocol/index.js";
import { launchChromium } from "../lib/chromium.js";
import { sqliteDatabase } from "../lib/database.js";
import { BenchServer } from "../lib/server.js";
import type { SeededUser } from "../lib/seed.js";

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const transport = process.env.T ?? "ws";
const WAIT = Number(process.env.WAIT ?? 100);
const PAUSE = process.env.PAUSE === undefined ? null : Number(process.env.PAUSE);
const db = sqliteDatabase();
const store = await db.fresh();
const seeder = await store.seeder(2000);
const [a, b] = (await seeder.users(2, "lat")) as [SeededUser, SeededUser];
const [conv] = await seeder.direct([[a, b]]);
await seeder.messages([{ sender: a, conversationId: conv!, body: "hello" }]);
await seeder.close();
const server = await BenchServer.start({
  dataDir: store.dataDir,
  env: store.env,
});
const chromium = await launchChromium();
const init = () => {
  const w = window as unknown as {
    __t: Record<string, number>;
    __now(): number;
  };
  w.__t = {};
  w.__now = () => performance.timeOrigin + performance.now();
  const origSend = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data: never) {
    if (typeof data === "string") {
      const m = /lat-[a-z]+-\d+/.exec(data);
      if (m && !w.__t["wsSend:" + m[0]]) w.__t["wsSend:" + m[0]] = w.__now();
    }
    return origSend.call(this, data);
  };
  const Orig = window.WebSocket;
  window.WebSocket = class extends Orig {
    constructor(u: string | URL, p?: string | string[]) {
      super(u, p);
      this.addEventListener("message", (e) => {
        if (typeof e.data === "string") {
          const m = /lat-[a-z]+-\d+/.exec(e.data);
          if (m && !w.__t["wsRecv:" + m[0]])
            w.__t["wsRecv:" + m[0]] = w.__now();
        }
      });
    }
  } as typeof WebSocket;
  document.addEventListener(
    "keydown",
    (e) => {
      if (e.key === "Enter")
        w.__t[
          "enter:" + (document.activeElement as HTMLTextAreaElement).value
        ] = w.__now();
    },
    true,
  );
  const es = window.EventSource;
  void es;
};
async function page(browser: Browser, user: SeededUser): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url });
  await context.addCookies([
    { name: SESSION_COOKIE, value: user.token, url: server.url },
  ]);
  const p = await context.newPage();
  await p.addInitScript(init);
  await p.goto(`/?transport=${transport}`);
  await p
    .locator(`[data-testid="connection-status"][data-state="online"]`)
    .waitFor();
  await p
    .locator(
      `[data-testid="conversation-item"][data-conversation-id="${conv}"]`,
    )
    .click();
  await p.getByTestId("conversation").waitFor();
  return p;
}
try {
  const pa = await page(chromium, a);
  const pb = await page(chromium, b);
  for (const p of [pa, pb])
    await p.evaluate(() => {
      const w = window as unknown as {
        __t: Record<string, number>;
        __now(): number;
      };
      new MutationObserver(() => {
        for (const el of document.querySelectorAll(
          '[data-testid="message-text"]',
        )) {
          const text = el.textContent ?? "";
          if (text.startsWith("lat-") && !w.__t["dom:" + text])
            w.__t["dom:" + text] = w.__now();
        }
      }).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    });
  // PROFILE=1 profiles B (the receiving page), PROFILE=a the sending page A.
  const profiledPage = process.env.PROFILE === "a" ? pa : pb;
  const profileName = `send-to-screen-${process.env.PROFILE === "a" ? "a" : "b"}.cpuprofile`;
  const cdp = process.env.PROFILE ? await profiledPage.context().newCDPSession(profiledPage) : null;
  if (cdp) {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    await cdp.send("Profiler.start");
  }
  const composer = pa.getByLabel("Message", { exact: true });
  const rows: Record<string, number>[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const text = `lat-${transport}-${i}`;
    await composer.fill(text);
    if (PAUSE !== null) await new Promise((r) => setTimeout(r, PAUSE));
    const nodeBefore = Date.now();
    await (PAUSE !== null ? pa.keyboard.press("Enter") : composer.press("Enter"));
    const nodeAfterPress = Date.now();
    await pb.waitForFunction(
      (t) =>
        (window as unknown as { __t: Record<string, number> }).__t[
          "dom:" + t
        ] ?? 0,
      text,
      { polling: 5 },
    );
    const next = Date.now() + WAIT;
    const ta = await pa.evaluate(
      () => (window as unknown as { __t: Record<string, number> }).__t,
    );
    const tb = await pb.evaluate(
      () => (window as unknown as { __t: Record<string, number> }).__t,
    );
    const enter = ta["enter:" + text]!;
    rows.push({
      aDom: (ta["dom:" + text] ?? NaN) - enter,
      aWsSend: (ta["wsSend:" + text] ?? NaN) - enter,
      bWsRecv: (tb["wsRecv:" + text] ?? NaN) - enter,
      bDom: tb["dom:" + text]! - enter,
      enterFromNode: enter - nodeBefore,
      pressTook: nodeAfterPress - nodeBefore,
    });
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
  if (cdp) {
    const { profile } = await cdp.send("Profiler.stop");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      path.join(tmpdir(), profileName),
      JSON.stringify(profile),
    );
    const { browserProfileSummary } = await import("../lib/profile-summary.js");
    console.info(
      JSON.stringify(
        browserProfileSummary(
          path.join(tmpdir(), profileName),
          "dist/web",
          30,
        ),
        null,
        1,
      ),
    );
  }
  const med = (k: string) => {
    const v = rows.map((r) => r[k]!).sort((x, y) => x - y);
    return v[Math.floor(v.length / 2)]!.toFixed(1);
  };
  console.info(
    JSON.stringify(
      rows.map((r) =>
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [k, Math.round(v)]),
        ),
      ),
    ),
  );
  console.info(
    `node → in-page keydown ${med("enterFromNode")}, press() took ${med("pressTook")}`,
  );
  console.info(
    `median from Enter: A wsSend ${med("aWsSend")}  A own bubble ${med("aDom")}  B wsRecv ${med("bWsRecv")}  B dom ${med("bDom")}`,
  );
} finally {
  await chromium.close();
  await server.stop();
  await store.dispose();
}
