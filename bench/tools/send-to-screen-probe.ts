// Where send → the other window's screen goes (issue 16): `npm run build && node --import tsx bench/tools/send-to-screen-probe.ts` (ROUNDS=15, T=ws|sse|poll, PROFILE=1 (the receiving page B) or a (the sending page A), WAIT=ms between rounds, 100; 0 sends the next as soon as B shows the last, as the suite's back-to-back rounds do; PAUSE=ms: Enter that long after `fill`, as a key press to the focused composer; the suite's typed rounds also type the last key on its own, docs/benchmarks.md TYPED; BUSY=1: each page's main-thread time per message (Chromium's Performance metrics: tasks, script, layout, style); RENDERS=1: which React components rendered on each page during the rounds, by name, so build without minifying first: `npx vite build --minify false --outDir /tmp/courier-plain` and WEB_DIR=/tmp/courier-plain).
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
  env: { ...store.env, ...(process.env.WEB_DIR ? { WEB_DIR: process.env.WEB_DIR } : {}) },
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
/**
 * Counts, by component name, the function and class components React rendered in each commit, through the hook
 * React DevTools uses (installed before React loads). A fiber is counted when it performed work in a commit that
 * reached it: a subtree whose child pointer is the one of the previous commit was skipped whole. A string, not a
 * function: tsx's transpiled named functions call a helper (`__name`) the page does not have.
 */
const COUNT_RENDERS = `(() => {
  const counts = (window.__renders = {});
  const component = new Set([0, 1, 11, 14, 15]);
  const nameOf = (f) => { const t = f.type; return (t && (t.displayName || t.name || (t.type && t.type.name) || (t.render && t.render.name))) || "tag" + f.tag; };
  const walk = (fiber) => {
    const before = fiber.alternate;
    if (component.has(fiber.tag) && (!before || (fiber.flags & 1) !== 0)) {
      const key = nameOf(fiber) + (before ? "" : " (mount)");
      counts[key] = (counts[key] || 0) + 1;
    }
    if (before && fiber.child === before.child) return;
    for (let c = fiber.child; c; c = c.sibling) walk(c);
  };
  window.__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
    supportsFiber: true, renderers: new Map(), inject: () => 1, checkDCE() {},
    onScheduleFiberRoot() {}, onCommitFiberUnmount() {}, onPostCommitFiberRoot() {},
    onCommitFiberRoot(id, root) { walk(root.current); },
  };
})();`;
async function page(browser: Browser, user: SeededUser): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url });
  await context.addCookies([
    { name: SESSION_COOKIE, value: user.token, url: server.url },
  ]);
  const p = await context.newPage();
  await p.addInitScript(init);
  if (process.env.RENDERS) await p.addInitScript(COUNT_RENDERS);
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
  const rendersOf = (p: Page) => p.evaluate(() => (window as unknown as { __renders?: Record<string, number> }).__renders ?? {});
  if (process.env.RENDERS) for (const p of [pa, pb]) await p.evaluate(() => { const r = (window as unknown as { __renders: Record<string, number> }).__renders; for (const k of Object.keys(r)) delete r[k]; });
  const busyMetrics = ["TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration"];
  const busy = process.env.BUSY
    ? await Promise.all(
        [pa, pb].map(async (p) => {
          const session = await p.context().newCDPSession(p);
          await session.send("Performance.enable");
          const read = async () => new Map((await session.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value] as const));
          return { read, before: await read() };
        }),
      )
    : null;
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
  if (busy) {
    for (const [name, b] of [["A (sending)", busy[0]!], ["B (receiving)", busy[1]!]] as const) {
      const after = await b.read();
      const per = busyMetrics.map((k) => `${k.replace("Duration", "")} ${(((after.get(k) ?? 0) - (b.before.get(k) ?? 0)) * 1000 / ROUNDS).toFixed(1)}`);
      console.info(`${name}: main thread per message, ms: ${per.join(" · ")}`);
    }
  }
  if (process.env.RENDERS) {
    for (const [name, p] of [["A (sending)", pa], ["B (receiving)", pb]] as const) {
      const r = Object.entries(await rendersOf(p)).sort((x, y) => y[1] - x[1]);
      console.info(`${name}: ${r.reduce((n, [, c]) => n + c, 0)} component renders over ${ROUNDS} messages`);
      for (const [k, c] of r) console.info(`  ${String(c).padStart(5)}  ${k}`);
    }
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
