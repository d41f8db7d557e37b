import { PROTOCOL_VERSION, type DiagnosticsReport, type Versions } from "../../shared/protocol/index.js";
import { version } from "../../package.json";
import type { CourierDb } from "../db/database.js";
import type { TransportLogEntry } from "../sync/transport-log.js";
import type { RecentError } from "./recent-errors.js";

/** package.json's version (only that field reaches the bundle). */
export const APP_VERSION: string = version;

/** How many transport log entries a report carries (the newest). */
export const REPORT_TRANSPORT_LOG = 50;

export interface DiagnosticsSources {
  db: CourierDb;
  /** The versions the sync engine has consumed, per domain. */
  versions: Versions;
  transportLog: TransportLogEntry[];
  recentErrors: RecentError[];
  now: number;
  userAgent?: string;
}

/**
 * The `diagnostics` command's report: counts, versions, ages, codes. It is
 * built from numbers and the app's own words only: no message text, no
 * conversation titles, no drafts, no tokens (an outbox row gives its age and
 * status, never its body or its error, which quotes the server).
 */
export async function buildDiagnostics(sources: DiagnosticsSources): Promise<DiagnosticsReport> {
  const { db, now } = sources;
  const [outbox, storage] = await db.transaction("r", [...db.allTables, db.drafts], async () => {
    const rows = await db.outbox.toArray();
    const counts: Record<string, number> = {};
    for (const table of db.tables) counts[table.name] = await table.count();
    return [rows, counts] as const;
  });
  const oldest = outbox.reduce<number | null>((min, row) => (min === null ? row.createdAt : Math.min(min, row.createdAt)), null);
  return {
    appVersion: APP_VERSION,
    protocol: PROTOCOL_VERSION,
    versions: { ...sources.versions },
    outbox: {
      count: outbox.length,
      oldestAgeMs: oldest === null ? null : Math.max(0, now - oldest),
      failed: outbox.filter((row) => row.status === "failed").length,
    },
    transportLog: sources.transportLog.slice(-REPORT_TRANSPORT_LOG).map((e) => ({ ...e })),
    recentErrors: sources.recentErrors,
    storage,
    ...(sources.userAgent ? { userAgent: sources.userAgent } : {}),
  };
}
