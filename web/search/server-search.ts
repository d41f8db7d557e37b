import type { SearchPage, SearchPageQuery } from "../api/client.js";
import { describeError } from "../api/errors.js";
import type { StoredMessage } from "../db/records.js";

export type FetchSearchPage = (query: SearchPageQuery, signal: AbortSignal) => Promise<SearchPage>;

export interface ServerSearchState {
  /**
   *   idle ──start──▶ loading ──page──▶ done ──more──▶ loading ──page──▶ done …
   *                      └──fails──▶ failed ──retry──▶ loading
   *   start (a new query) or stop from any state aborts what is in flight.
   */
  status: "idle" | "loading" | "done" | "failed";
  /** Every page so far, in the server's order. */
  messages: StoredMessage[];
  /** The cursor of the next older page; absent when the server has no more. */
  before?: string;
  /** Why the last page failed, fit to show. */
  error: string | null;
}

export const IDLE: ServerSearchState = { status: "idle", messages: [], error: null };
export const SERVER_PAGE = 20;

/**
 * The server's side of one search (`GET /api/search`), page by page. Only the
 * newest query counts: starting another (or stopping) aborts the request in
 * flight, and an answer that arrives anyway for an older attempt is ignored.
 */
export class ServerSearch {
  private state: ServerSearchState = IDLE;
  private query: SearchPageQuery | null = null;
  private inFlight: AbortController | null = null;

  constructor(
    private readonly fetchPage: FetchSearchPage,
    private readonly onChange: (state: ServerSearchState) => void,
  ) {}

  get current(): ServerSearchState {
    return this.state;
  }

  start(q: string, conversationId?: string): void {
    this.query = { q, conversationId, limit: SERVER_PAGE };
    this.set({ status: "loading", messages: [], error: null });
    this.load(undefined);
  }

  /** The next older page, when there is one and nothing is loading. */
  more(): void {
    if (this.state.status === "done" && this.state.before) this.load(this.state.before);
  }

  /** Asks again for the page that failed. */
  retry(): void {
    if (this.state.status === "failed") this.load(this.state.before);
  }

  stop(): void {
    this.inFlight?.abort();
    this.inFlight = null;
    this.query = null;
    this.set(IDLE);
  }

  private load(before: string | undefined): void {
    const query = this.query;
    if (!query) return;
    this.inFlight?.abort();
    const attempt = new AbortController();
    this.inFlight = attempt;
    this.set({ ...this.state, status: "loading", error: null });
    this.fetchPage({ ...query, before }, attempt.signal).then(
      (page) => {
        if (this.inFlight !== attempt) return;
        this.inFlight = null;
        this.set({ status: "done", messages: [...this.state.messages, ...page.messages], before: page.before, error: null });
      },
      (error: unknown) => {
        if (this.inFlight !== attempt) return;
        this.inFlight = null;
        this.set({ ...this.state, status: "failed", before, error: describeError(error) });
      },
    );
  }

  private set(state: ServerSearchState): void {
    this.state = state;
    this.onChange(state);
  }
}
