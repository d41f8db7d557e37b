import { CourierError } from "../../shared/protocol/index.js";
import { NetworkError } from "../api/errors.js";

/** What a diagnostics report says about one error: when, where, and its code or message. */
export interface RecentError {
  at: number;
  message: string;
}

export const RECENT_ERRORS_LIMIT = 50;
/** An error's message is cut here: it is for a person skimming a report, and the shorter the less it can leak. */
const MESSAGE_MAX = 200;

/**
 * The page's recent errors, for the `diagnostics` command. Only what the
 * app's code says went wrong: an error's class and code and its own message
 * (the server's and the app's words, never what a person typed), cut short,
 * prefixed with where it happened ("sync", "outbox", "command resync", ...).
 */
export class RecentErrors {
  private readonly entries: RecentError[] = [];

  constructor(
    private readonly limit = RECENT_ERRORS_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  record(where: string, error: unknown): void {
    this.entries.push({ at: this.now(), message: `${where}: ${describe(error)}`.slice(0, MESSAGE_MAX) });
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  /** Oldest first; a copy. */
  list(): RecentError[] {
    return this.entries.map((e) => ({ ...e }));
  }
}

function describe(error: unknown): string {
  if (error instanceof CourierError) return `${error.code} (${error.status}): ${error.message}`;
  if (error instanceof NetworkError) return `network: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error === "string" ? error : "unknown error";
}

/** The page's ring: it outlives sessions, like the transport log. */
export const recentErrors = new RecentErrors();
