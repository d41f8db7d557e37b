import { createContext, useContext } from "react";
import type { User } from "../shared/protocol/index.js";
import type { Api } from "./api/client.js";
import type { CourierDb } from "./db/database.js";
import type { SyncClient } from "./sync/sync-client.js";
import type { TransportChoice } from "./sync/transport-choice.js";

/** Sign-out's choice for messages not yet sent and drafts (db/unsent.ts). */
export type UnsentChoice = "keep" | "discard";

/** Everything a signed-in screen needs; provided by app.tsx. */
export interface Session {
  user: User;
  deviceId: string;
  db: CourierDb;
  api: Api;
  client: SyncClient;
  /** Signs out; what was not sent is kept for this account's next sign-in here unless `unsent` is "discard". */
  signOut(unsent?: UnsentChoice): Promise<void>;
  /** The "Connection" setting: remembered, and applied at once by reconnecting. */
  setTransportChoice(choice: TransportChoice): void;
  /** Account settings (issue 17): the server confirmed a new display name; shown and remembered at once. */
  renamed(user: User): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in screen");
  return session;
}
