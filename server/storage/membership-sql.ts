import { ACTIVE_MEMBERSHIP, CURRENT_MEMBERSHIPS } from "../../shared/protocol/index.js";

/**
 * A member row's state in SQL (the same text on both engines), built from
 * the one list of states in shared/protocol (docs/groups.md). `alias` names
 * the members table where a query joins it.
 */

const column = (alias: string) => (alias ? `${alias}.state` : "state");

/** A current member: active, or deciding on a request. */
export const currentMember = (alias = ""): string => `${column(alias)} IN (${CURRENT_MEMBERSHIPS.map((s) => `'${s}'`).join(", ")})`;

/** An active member (reads, sends, gets Web Push). */
export const activeMember = (alias = ""): string => `${column(alias)} = '${ACTIVE_MEMBERSHIP}'`;
