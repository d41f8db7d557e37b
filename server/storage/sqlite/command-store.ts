import type Database from "better-sqlite3";
import type { Command, CommandResult } from "../../../shared/protocol/index.js";
import type { CommandRepo } from "../tx.js";

/** Commands and their results per device (docs/messages.md). */
export class CommandStore implements CommandRepo {
  constructor(private readonly db: Database.Database) {}

  insert(_c: Command): void {
    void this.db;
    throw new Error("commands: not built yet");
  }

  get(_id: string): Command | null {
    throw new Error("commands: not built yet");
  }

  report(_commandId: string, _result: CommandResult): void {
    throw new Error("commands: not built yet");
  }

  results(_commandId: string): CommandResult[] {
    throw new Error("commands: not built yet");
  }
}
