import { ACTIVE_MEMBERSHIP, CURRENT_MEMBERSHIPS } from "../../shared/protocol/index.js";

/**
 * A member row's state in SQL (the same text on both engines), built from
 * the one list of states in shared/protocol (docs/groups.md). `alias` names
 * the members table where a query joins it.
 */

const column = (alias: string) => (alias ? `${alias}.state` : "state");

/** A current member: active, or deciding on a request. */
export const currentMember = (alias = ""): string => `${column(alias)} IN (${CURRENT_MEMBERSHIPS.map((s) => `'${s}'`).join(", ")})`;

/**
 * The message `m` was not deleted for themselves by the viewer, whose id is
 * the placeholder `viewer` (`?` or `$n`); the hides' primary key (user_id,
 * message_id) answers it per row. The same text on both engines.
 */
export const notHiddenBy = (viewer: string): string => `NOT EXISTS (SELECT 1 FROM message_hides h WHERE h.user_id = ${viewer} AND h.message_id = m.id)`;

/**
 * How many of the messages in (seq, ∞) of a conversation not sent by the
 * viewer the viewer deleted for themselves, through message_hides_conversation
 * (user_id, conversation_id, seq); placeholders in the order viewer,
 * conversation, seq, viewer. Unread counts take it away from the range's
 * count instead of checking every unread row.
 */
export const hiddenOfOthersAfter = (p: readonly [string, string, string, string]): string =>
  `(SELECT count(*) FROM message_hides h JOIN messages hm ON hm.id = h.message_id
    WHERE h.user_id = ${p[0]} AND h.conversation_id = ${p[1]} AND h.seq > ${p[2]} AND hm.sender_id <> ${p[3]})`;

/** An active member (reads, sends, gets Web Push). */
export const activeMember = (alias = ""): string => `${column(alias)} = '${ACTIVE_MEMBERSHIP}'`;
