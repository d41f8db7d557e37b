import type Database from "better-sqlite3";
import type { Message } from "../../../shared/protocol/index.js";
import type { SearchCursor, SearchRepo } from "../tx.js";

/** Server search on SQLite (docs/messages.md). */
export class SearchStore implements SearchRepo {
  constructor(private readonly db: Database.Database) {}

  find(_userId: string, _needle: string, _conversationIds: readonly string[], _before: SearchCursor | null, _limit: number): Message[] {
    void this.db;
    throw new Error("search: not built yet");
  }
}
