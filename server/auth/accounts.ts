import { randomUUID } from "node:crypto";
import { CourierError, type User } from "../../shared/protocol/index.js";
import { announceConversation } from "../conversations/conversations.js";
import type { NewSession, NewUser, Repos } from "../storage/storage.js";

/** Accounts and sessions. */

/** Usernames are unique: a taken one is 409 (two sign-ups racing for one are settled by the engine's unique constraint). */
export async function createUser(r: Repos, user: NewUser): Promise<User> {
  if (await r.users.byUsername(user.username)) throw CourierError.conflict("That username is taken.", "username_taken");
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

/**
 * A new display name, and every conversation of the user announced again
 * (`conv` entries to each member who sees it), so the user's other devices
 * and the people they chat with show it without a reload. Each conversation
 * is locked first, in id order: a summary built meanwhile by another write
 * cannot land after ours with the old name.
 */
export async function renameUser(r: Repos, userId: string, displayName: string, at: number): Promise<User> {
  const user = await r.users.lock(userId);
  if (!user) throw CourierError.unauthorized();
  if (user.displayName === displayName) return user;
  await r.users.setDisplayName(userId, displayName);
  const conversations = [...(await r.conversations.ofUser(userId))].sort((a, b) => a.id.localeCompare(b.id));
  for (const { id } of conversations) {
    const conv = await r.conversations.lock(id);
    if (conv) await announceConversation(r, conv, at);
  }
  return { ...user, displayName };
}
