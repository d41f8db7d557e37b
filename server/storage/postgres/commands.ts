import type { Command, CommandResult } from "../../../shared/protocol/index.js";
import type { CommandRepo } from "../tx.js";
import type { Db } from "./db.js";

/** Commands and their results per device (docs/messages.md). */
export class PgCommands implements CommandRepo {
  constructor(private readonly db: Db) {}

  insert(_c: Command): Promise<void> {
    void this.db;
    return Promise.reject(new Error("commands: not built yet"));
  }

  get(_id: string): Promise<Command | null> {
    return Promise.reject(new Error("commands: not built yet"));
  }

  report(_commandId: string, _result: CommandResult): Promise<void> {
    return Promise.reject(new Error("commands: not built yet"));
  }

  results(_commandId: string): Promise<CommandResult[]> {
    return Promise.reject(new Error("commands: not built yet"));
  }
}
