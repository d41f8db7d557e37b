import type { Message } from "../../../shared/protocol/index.js";
import type { SearchCursor, SearchRepo } from "../tx.js";
import type { Db } from "./db.js";

/** Server search on PostgreSQL (docs/messages.md). */
export class PgSearch implements SearchRepo {
  constructor(private readonly db: Db) {}

  find(_userId: string, _needle: string, _conversationIds: readonly string[], _before: SearchCursor | null, _limit: number): Promise<Message[]> {
    void this.db;
    return Promise.reject(new Error("search: not built yet"));
  }
}
