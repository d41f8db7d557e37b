import type { Domain } from "../protocol/common.js";
import type { Entry } from "../protocol/entries.js";

/**
 * A consumer applies the entries of some kinds of one domain to local state
 * (message store, conversation store, command runner, …). It only ever sees
 * complete, ordered, de-duplicated entries: the engine guarantees that.
 */
export interface Consumer {
  domain: Domain;
  kinds: readonly string[];
  apply(entries: Entry[]): Promise<void> | void;
}

export class ConsumerRegistry {
  private readonly consumers: Consumer[] = [];

  register(consumer: Consumer): () => void {
    this.consumers.push(consumer);
    return () => {
      const i = this.consumers.indexOf(consumer);
      if (i >= 0) this.consumers.splice(i, 1);
    };
  }

  /**
   * Hands the batch to its consumers in version order. Consecutive entries
   * that go to the same consumer travel together (so a store can bulk-write),
   * but a later entry never reaches its consumer before an earlier one was
   * applied. Kinds nobody handles are skipped: they still advance the version.
   */
  async dispatch(d: Domain, entries: readonly Entry[]): Promise<void> {
    // A consumer (un)registered mid-batch must not make later entries of this batch go to nobody.
    const consumers = this.consumers.filter((c) => c.domain === d);
    let run: Entry[] = [];
    let runConsumers: Consumer[] = [];
    const flush = async () => {
      for (const consumer of runConsumers) await consumer.apply(run);
      run = [];
    };
    for (const entry of entries) {
      const targets = consumers.filter((c) => c.kinds.includes(entry.k));
      if (!sameConsumers(targets, runConsumers)) {
        if (run.length > 0) await flush();
        runConsumers = targets;
      }
      if (targets.length > 0) run.push(entry);
    }
    if (run.length > 0) await flush();
  }
}

function sameConsumers(a: Consumer[], b: Consumer[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}
