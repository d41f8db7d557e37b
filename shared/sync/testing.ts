import type { Domain, Versions } from "../protocol/common.js";
import { zeroVersions, DOMAINS } from "../protocol/common.js";
import type { Entry } from "../protocol/entries.js";
import { inRanges, parseRanges, type PullRequest, type PullResponse, type Snapshot } from "../protocol/sync.js";
import { type SyncSource, type SyncStore, systemClock } from "./types.js";

/**
 * In-memory doubles of the server log and the client store for engine tests
 * and benchmarks. They hold the contract (contiguous versions, ring, one
 * transaction per apply) so the engine can be exercised without a network.
 */
export function makeEntry(d: Domain, v: number, k = "msg"): Entry {
  return { d, v, k, at: 1_700_000_000_000 + v, data: { n: v } };
}

export class MemoryLog implements SyncSource {
  readonly log: Record<Domain, Entry[]> = { chat: [], system: [], marketing: [] };
  readonly pulls: PullRequest[] = [];
  readonly acks: Array<Partial<Versions>> = [];
  snapshots = 0;
  ring = Infinity;
  /** Delay of every pull answer, in ms of the (possibly fake) clock. */
  latencyMs = 0;
  failNextPulls = 0;
  failNextSnapshots = 0;

  append(d: Domain, count: number, k = "msg"): Entry[] {
    const out: Entry[] = [];
    const base = this.log[d].length;
    for (let i = 1; i <= count; i++) out.push(makeEntry(d, base + i, k));
    this.log[d].push(...out);
    return out;
  }

  head(d: Domain): number {
    return this.log[d].length;
  }

  heads(): Versions {
    const heads = zeroVersions();
    for (const d of DOMAINS) heads[d] = this.head(d);
    return heads;
  }

  async pull(request: PullRequest): Promise<PullResponse> {
    this.pulls.push(request);
    if (this.latencyMs > 0) await new Promise<void>((r) => systemClock.setTimeout(r, this.latencyMs));
    if (this.failNextPulls > 0) {
      this.failNextPulls--;
      throw new Error("network down");
    }
    const head = this.head(request.d);
    if (request.after < head - this.ring) return { d: request.d, entries: [], head, reset: true };
    const page = this.log[request.d].slice(request.after, request.after + (request.limit ?? 100));
    const only = request.only === undefined ? null : parseRanges(request.only, request.after);
    if (request.only !== undefined && !only) throw new Error(`bad only: ${request.only}`);
    const entries = only ? inRanges(page, only) : page;
    return { d: request.d, entries, head, reset: false };
  }

  async snapshot(): Promise<Snapshot> {
    this.snapshots++;
    if (this.failNextSnapshots > 0) {
      this.failNextSnapshots--;
      throw new Error("network down");
    }
    return { heads: this.heads(), conversations: [], messages: {} };
  }

  async ack(acks: Partial<Versions>): Promise<void> {
    this.acks.push(acks);
  }
}

export class MemoryStore implements SyncStore {
  versions: Versions = zeroVersions();
  /** Every entry applied, in apply order. */
  readonly applied: Entry[] = [];
  readonly transactions: Array<{ d: Domain; from: number; to: number }> = [];
  snapshotsApplied: Snapshot[] = [];
  failNextApply = false;
  /** Simulated IndexedDB commit time, in ms of the (possibly fake) clock. */
  applyDelayMs = 0;

  async loadVersions(): Promise<Versions> {
    return { ...this.versions };
  }

  async apply(d: Domain, entries: Entry[], version: number): Promise<void> {
    if (this.failNextApply) {
      this.failNextApply = false;
      throw new Error("quota exceeded");
    }
    if (this.applyDelayMs > 0) await new Promise<void>((r) => systemClock.setTimeout(r, this.applyDelayMs));
    this.applied.push(...entries);
    this.versions[d] = version;
    this.transactions.push({ d, from: entries[0]!.v, to: version });
  }

  async applySnapshot(snapshot: Snapshot): Promise<void> {
    this.snapshotsApplied.push(snapshot);
    this.versions = { ...snapshot.heads };
  }

  appliedVersions(d: Domain): number[] {
    return this.applied.filter((e) => e.d === d).map((e) => e.v);
  }
}

/** A small seeded PRNG (mulberry32): a failing run can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic shuffle (Fisher–Yates on `seeded`) so a failing order can be replayed. */
export function shuffle<T>(items: readonly T[], seed: number | (() => number)): T[] {
  const random = typeof seed === "number" ? seeded(seed) : seed;
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
