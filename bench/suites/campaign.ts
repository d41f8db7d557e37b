import { Fleet } from "../lib/fleet.js";
import type { ChatPair, ChatResult, Phase, WorkerSetup } from "../lib/jobs.js";
import { epochNow } from "../lib/jobs.js";
import { CpuMeter } from "../lib/proc.js";
import { dbCpu, withStore, type BenchStore } from "../lib/database.js";
import type { Metric, Suite, SuiteContext, SuiteResult } from "../lib/report.js";
import type { SeededUser } from "../lib/seed.js";
import { BenchServer, LOAD_SERVER_ENV } from "../lib/server.js";
import { concat, median, split, summarize, type Summary } from "../lib/stats.js";
import { cpuOverWindow, quiesce, sleep } from "../lib/window.js";

/**
 * 8. Marketing never delays chat (issue 16): 1:1 chat over WebSocket at a
 * fixed, moderate rate (`--campaign-rate=N`; default 300 msg/s on SQLite and
 * 50 on PostgreSQL, which sustains ~250 msg/s on this machine), measured
 * quiet, then while a marketing campaign (`POST /api/admin/campaigns`, the
 * admin API with ADMIN_TOKEN) goes out to every one of 10,000 seeded users
 * (`--campaign-users=N`); alternating quiet / campaign rounds (1 quick, 3
 * full), a new campaign each round.
 *
 * Latency is the throughput suite's: A's emit → B's push (lean client,
 * acking every 100 ms), open-loop on a fixed schedule. "During" counts only
 * the sends issued between the campaign request and its answer (the server
 * answers once every user has the promo in their marketing domain: that span
 * is the campaign's time to reach everyone); "quiet" counts every send of
 * the quiet window. The chat users are among the 10,000, so their sockets
 * get the promo too, as a live user's would. Nobody has a Web Push
 * subscription here: the push side routes 10,000 events to "no
 * subscription" (its lookups are part of the cost), it sends nothing.
 */
const WORKERS = 2;
const ADMIN_TOKEN = "bench-admin-token-0123456789";

interface Cfg {
  users: number;
  pairs: number;
  rate: number;
  rounds: number;
  warmupMs: number;
  quietMs: number;
  /** The campaign phase's window: the campaign starts at its beginning and should end well within it. */
  campaignMs: number;
  drainMs: number;
  bodyBytes: number;
}

interface Quiet {
  latency: Summary;
  ack: Summary;
  errors: number;
  lost: number;
  cpu: Awaited<ReturnType<typeof cpuOverWindow>>;
}

interface During {
  /** Request → answer: every user has it. */
  reachMs: number;
  recipients: number;
  /** The campaign outlasted the chat window: only the part within the window is measured. */
  outlasted: boolean;
  latency: Summary;
  ack: Summary;
  /** Sends after the campaign's answer, in the same window (the server settling back). */
  after: Summary;
  errors: number;
  lost: number;
  cpu: ReturnType<CpuMeter["stop"]>;
}

export const campaign: Suite = (ctx) => withStore(ctx.db, (store) => run(ctx, store));

async function run(ctx: SuiteContext, store: BenchStore): Promise<SuiteResult> {
  const rate = positive(ctx.option("campaign-rate") ?? (ctx.db.engine === "postgres" ? "50" : "300"), "--campaign-rate");
  const users = positive(ctx.option("campaign-users") ?? "10000", "--campaign-users");
  const cfg: Cfg = {
    users,
    pairs: ctx.quick ? 16 : 32,
    rate,
    rounds: ctx.quick ? 1 : 3,
    warmupMs: ctx.quick ? 500 : 1000,
    quietMs: ctx.quick ? 3000 : 5000,
    campaignMs: ctx.quick ? 8000 : 15_000,
    drainMs: ctx.quick ? 1500 : 3000,
    bodyBytes: 80,
  };
  if (cfg.users < cfg.pairs * 2) throw new Error(`--campaign-users must be at least ${cfg.pairs * 2} (the chat pairs are among them)`);
  const t0 = performance.now();
  const seeder = await store.seeder();
  const seeded = await seeder.users(cfg.users, "cp");
  const couples = Array.from({ length: cfg.pairs }, (_, i) => [seeded[2 * i]!, seeded[2 * i + 1]!] as [SeededUser, SeededUser]);
  const conversations = await seeder.direct(couples);
  await seeder.close();
  ctx.log(`seeded ${cfg.users.toLocaleString("en-US")} users and ${cfg.pairs} conversations in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const pairs: ChatPair[] = couples.map(([a, b], i) => ({ a, b, conversationId: conversations[i]! }));

  const server = await BenchServer.start({ dataDir: store.dataDir, env: { ...store.env, ...LOAD_SERVER_ENV, ADMIN_TOKEN } });
  const quiet: Quiet[] = [];
  const during: During[] = [];
  const quietResults: ChatResult[][] = [];
  const duringSamples: Array<{ latencies: number[]; acks: number[]; after: number[] }> = [];
  try {
    const setups = split(pairs, WORKERS).map((share): WorkerSetup => ({ kind: "chat", url: server.url, target: "courier", client: "raw", pairs: share, concurrency: 16 }));
    const fleet = await Fleet.start(setups);
    try {
      const failed = fleet.ready.reduce((n, r) => n + r.failed, 0);
      if (failed > 0) throw new Error(`${failed} pairs could not connect: ${fleet.ready.find((r) => r.firstError)?.firstError}`);
      const pids = { server: server.pid, ...ctx.db.cpuTargets(), ...Object.fromEntries(fleet.pids.map((p, i) => [`worker${i}`, p])) };
      const phase = (startAt: number, durationMs: number): Phase => ({
        kind: "chat",
        mode: "rate",
        rate: cfg.rate / WORKERS,
        window: 1,
        startAt,
        warmupMs: cfg.warmupMs,
        durationMs,
        drainMs: cfg.drainMs,
        bodyBytes: cfg.bodyBytes,
      });
      for (let round = 1; round <= cfg.rounds; round++) {
        // Quiet: chat alone.
        await quiesce(server.pid, 15, ctx.quick ? 3000 : 10_000);
        let cpu: ReturnType<typeof cpuOverWindow> | null = null;
        const results = await fleet.run<ChatResult>((_, startAt) => {
          cpu ??= cpuOverWindow(pids, startAt + cfg.warmupMs, cfg.quietMs);
          return phase(startAt, cfg.quietMs);
        });
        quietResults.push(results);
        const q: Quiet = {
          latency: summarize(concat(results.map((r) => r.latencies))),
          ack: summarize(concat(results.map((r) => r.ackLatencies))),
          errors: results.reduce((n, r) => n + r.errors, 0),
          lost: results.reduce((n, r) => n + r.lostOfWindow, 0),
          cpu: await cpu!,
        };
        quiet.push(q);
        ctx.log(`round ${round} quiet ${cfg.rate} msg/s: p50 ${q.latency.median} / p99 ${q.latency.p99} ms (${q.latency.n} samples), ack p99 ${q.ack.p99} ms, cpu ${JSON.stringify(q.cpu.processes)}`);

        // The same chat, with a campaign to every user starting at the window's beginning.
        await quiesce(server.pid, 15, ctx.quick ? 3000 : 10_000);
        let sending: Promise<{ from: number; to: number; recipients: number; cpu: ReturnType<CpuMeter["stop"]> }> | null = null;
        let windowEnd = 0;
        const results2 = await fleet.run<ChatResult>((_, startAt) => {
          windowEnd = startAt + cfg.warmupMs + cfg.campaignMs;
          sending ??= sendCampaign(server.url, startAt + cfg.warmupMs, round, pids);
          return phase(startAt, cfg.campaignMs);
        });
        const sent = await sending!;
        const outlasted = sent.to > windowEnd;
        const within = (sentAt: Float64Array, values: Float64Array, from: number, to: number) => Array.from(values).filter((_, i) => sentAt[i]! >= from && sentAt[i]! < to);
        const samples = {
          latencies: results2.flatMap((r) => within(r.latencySentAt, r.latencies, sent.from, sent.to)),
          acks: results2.flatMap((r) => within(r.ackSentAt, r.ackLatencies, sent.from, sent.to)),
          after: results2.flatMap((r) => within(r.latencySentAt, r.latencies, sent.to, Infinity)),
        };
        duringSamples.push(samples);
        const d: During = {
          reachMs: Math.round(sent.to - sent.from),
          recipients: sent.recipients,
          outlasted,
          latency: summarize(samples.latencies),
          ack: summarize(samples.acks),
          after: summarize(samples.after),
          errors: results2.reduce((n, r) => n + r.errors, 0),
          lost: results2.reduce((n, r) => n + r.lostOfWindow, 0),
          cpu: sent.cpu,
        };
        during.push(d);
        if (d.recipients !== cfg.users) throw new Error(`the campaign reached ${d.recipients} users, not ${cfg.users}`);
        ctx.log(
          `round ${round} campaign to ${d.recipients} users in ${d.reachMs} ms${outlasted ? " (outlasted the chat window)" : ""}: chat p50 ${d.latency.median} / p99 ${d.latency.p99} ms (${d.latency.n} samples), ack p99 ${d.ack.p99} ms; after it p99 ${d.after.p99} ms; cpu ${JSON.stringify(d.cpu.processes)}`,
        );
      }
    } finally {
      await fleet.stop();
    }
  } finally {
    await server.stop();
  }
  return report(ctx, cfg, quiet, during, quietResults, duringSamples);
}

/** At epoch ms `at`, POST a campaign; resolves with when it was asked, when it was answered (everyone has it), its recipients, and CPU over that span. */
async function sendCampaign(url: string, at: number, round: number, pids: Record<string, number | { tree: number } | undefined>) {
  await sleep(Math.max(0, at - epochNow()));
  const meter = new CpuMeter(pids).start();
  const from = epochNow();
  const res = await fetch(`${url}/api/admin/campaigns`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ title: `Bench sale ${round}`, body: "Everything half price, today only.", url: "/#/items" }),
  });
  const to = epochNow();
  const cpu = meter.stop();
  const body = (await res.json()) as { campaign?: { recipients: number }; error?: { message: string } };
  if (res.status !== 201 || !body.campaign) throw new Error(`campaign refused: ${res.status} ${body.error?.message ?? JSON.stringify(body)}`);
  return { from, to, recipients: body.campaign.recipients, cpu };
}

function positive(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, not ${text}`);
  return n;
}

function report(
  ctx: SuiteContext,
  cfg: Cfg,
  quiet: Quiet[],
  during: During[],
  quietResults: ChatResult[][],
  duringSamples: Array<{ latencies: number[]; acks: number[]; after: number[] }>,
): SuiteResult {
  const q = summarize(concat(quietResults.flatMap((rs) => rs.map((r) => r.latencies))));
  const qAck = summarize(concat(quietResults.flatMap((rs) => rs.map((r) => r.ackLatencies))));
  const d = summarize(duringSamples.flatMap((s) => s.latencies));
  const dAck = summarize(duringSamples.flatMap((s) => s.acks));
  const after = summarize(duringSamples.flatMap((s) => s.after));
  const reach = median(during.map((x) => x.reachMs));
  const rounds = cfg.rounds > 1 ? `${cfg.rounds} rounds, p99 over all their samples` : "1 round";
  const at = `${cfg.rate.toLocaleString("en-US")} msg/s`;
  const users = cfg.users.toLocaleString("en-US");
  const cpu = (c: Record<string, number>) => `server ${c.server ?? "?"}%${dbCpu(c)}`;
  const problems = (xs: Array<{ errors: number; lost: number }>) => {
    const errors = xs.reduce((n, x) => n + x.errors, 0);
    const lost = xs.reduce((n, x) => n + x.lost, 0);
    return `${errors ? `; ${errors} sends refused` : ""}${lost ? `; ${lost} not delivered within the drain` : ""}`;
  };
  const metrics: Metric[] = [
    {
      id: "campaign.chat.quiet",
      label: `send → recipient at ${at}, quiet (no campaign), p99`,
      unit: "ms",
      value: q.p99,
      note: `p50 ${q.median} ms, ${q.n} samples; send → ack p50 ${qAck.median} / p99 ${qAck.p99} ms; ${rounds}; ${cpu(quiet[0]!.cpu.processes)}${problems(quiet)}`,
    },
    {
      id: "campaign.chat.during",
      label: `send → recipient at ${at}, while a campaign reaches ${users} users, p99`,
      unit: "ms",
      value: d.p99,
      note: `p50 ${d.median} ms, ${d.n} samples (sent between the campaign's request and its answer); send → ack p50 ${dAck.median} / p99 ${dAck.p99} ms; after the campaign p99 ${after.p99} ms; ${cpu(during[0]!.cpu.processes)}${problems(during)}`,
    },
    {
      id: "campaign.chat.ratio",
      label: "campaign / quiet, chat p99",
      unit: "×",
      value: Math.round((d.p99 / q.p99) * 100) / 100,
      target: { op: "<=", value: 2 },
      note: `each round: ${during.map((x, i) => `${quiet[i]!.latency.p99} → ${x.latency.p99} ms`).join(", ")}`,
    },
    {
      id: "campaign.reach",
      label: `campaign to ${users} users: request → everyone has it`,
      unit: "ms",
      value: reach,
      note: `${cfg.rounds > 1 ? `median of ${cfg.rounds}: ${during.map((x) => x.reachMs).join(", ")} ms` : "1 run"}${during.some((x) => x.outlasted) ? "; outlasted the chat window (only its part within it measured)" : ""}`,
    },
  ];
  return { metrics, details: { config: cfg, engine: ctx.db.engine, quiet, during, merged: { quiet: q, quietAck: qAck, during: d, duringAck: dAck, after } } };
}
