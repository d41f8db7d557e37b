import { randomUUID } from "node:crypto";
import { CourierError, type User } from "../../shared/protocol/index.js";
import type { NewSession, NewUser, Repos } from "../storage/storage.js";

/** Accounts and sessions. */

/** Usernames are unique: a taken one is 409 (two sign-ups racing for one are settled by the engine's unique constraint). */
export async function createUser(r: Repos, user: NewUser): Promise<User> {
  if (await r.users.byUsername(user.username)) throw CourierError.conflict("That username is taken.");
  const id = randomUUID();
  await r.users.insert({ ...user, id });
  return { id, username: user.username, displayName: user.displayName };
}

/** Returns the new session's id. Expired sessions are swept on this rare event, so the table can't grow forever. */
export async function createSession(r: Repos, session: NewSession): Promise<string> {
  const id = randomUUID();
  await r.sessions.insert({ ...session, id });
  await r.sessions.deleteExpired(session.at);
  return id;
}
