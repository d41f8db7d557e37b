import { z } from "zod";
import { userSchema } from "./auth.js";
import { humanText, idSchema, nameRule } from "./common.js";
import { itemSchema, orderSchema } from "./items.js";
import { messageSchema } from "./messages.js";
import { lazy } from "./lazy.js";

export const conversationTypeSchema = lazy(() => z.enum(["direct", "item", "group"]));
export type ConversationType = z.infer<typeof conversationTypeSchema>;

export const conversationSchema = lazy(() => z.object({
  id: idSchema,
  type: conversationTypeSchema,
  itemId: idSchema.optional(),
  title: z.string().optional(),
  memberIds: z.array(idSchema),
  lastSeq: z.number().int().nonnegative(),
  at: z.number(),
}));
export type Conversation = z.infer<typeof conversationSchema>;

/** extension: how far each member's devices got (delivered) and read. */
export const receiptSchema = lazy(() => z.object({
  userId: idSchema,
  deliveredSeq: z.number().int().nonnegative(),
  readSeq: z.number().int().nonnegative(),
}));
export type Receipt = z.infer<typeof receiptSchema>;

/** extension (groups): who may manage a group. */
export const memberRoleSchema = lazy(() => z.enum(["creator", "admin", "member"]));
export type MemberRole = z.infer<typeof memberRoleSchema>;

/**
 * extension (groups): where I stand in a conversation. `request`: a group
 * someone I don't know added me to, waiting for Accept (`POST …/accept`) or
 * Decline (`POST …/leave`); `left`, `removed`, `declined`: no longer a member
 * (reading and sending answer 403).
 */
export const membershipSchema = lazy(() => z.enum(["member", "request", "left", "removed", "declined"]));
export type Membership = z.infer<typeof membershipSchema>;

/*
 * The membership rules (docs/groups.md), once for the server, its SQL and the
 * web app.
 */

/** A member who reads, sends, gets Web Push and counts in badges. */
export const ACTIVE_MEMBERSHIP = "member" satisfies Membership;

/** Current members: active, or deciding on a request (they get the conversation's messages). Anyone else is gone. */
export const CURRENT_MEMBERSHIPS = [ACTIVE_MEMBERSHIP, "request"] as const satisfies readonly Membership[];

/** Left, removed or declined: no longer in the conversation (reading and sending answer 403). */
export function isGoneMembership(m: Membership): boolean {
  return !(CURRENT_MEMBERSHIPS as readonly Membership[]).includes(m);
}

/** Who outranks whom in a group. */
export const ROLE_RANK: Readonly<Record<MemberRole, number>> = { member: 0, admin: 1, creator: 2 };

/** The creator and admins add, remove and rename, as active members (not from a request, not once gone). */
export function managesGroup(me: { membership: Membership; role: MemberRole }): boolean {
  return me.membership === ACTIVE_MEMBERSHIP && ROLE_RANK[me.role] >= ROLE_RANK.admin;
}

/** Only someone of higher rank may remove a member: an admin can't remove the creator or another admin. */
export function outranks(mine: MemberRole, theirs: MemberRole): boolean {
  return ROLE_RANK[mine] > ROLE_RANK[theirs];
}

/** extension (groups): a current member's role; `pending` while their request is open. */
export const rosterEntrySchema = lazy(() => z.object({ userId: idSchema, role: memberRoleSchema, pending: z.boolean() }));
export type RosterEntry = z.infer<typeof rosterEntrySchema>;

/** One user's view of a conversation. */
export const summarySchema = lazy(() => z.object({
  conversationId: idSchema,
  conversation: conversationSchema,
  lastMessage: messageSchema.nullable(),
  unread: z.number().int().nonnegative(),
  readSeq: z.number().int().nonnegative(),
  muted: z.boolean(),
  pinned: z.boolean(),
  remark: z.string(),
  label: z.string(),
  /** extension: the members, so a client can show names without extra calls */
  members: z.array(userSchema).optional(),
  /** extension: the listing of an item conversation */
  item: itemSchema.nullable().optional(),
  /** extension: the order of an item conversation, if any */
  order: orderSchema.nullable().optional(),
  /** extension: delivery and read positions of every member */
  receipts: z.array(receiptSchema).optional(),
  /** extension (groups): my membership (absent: "member") */
  membership: membershipSchema.optional(),
  /** extension (groups): my role */
  role: memberRoleSchema.optional(),
  /** extension (groups): who added me, if someone did */
  addedBy: idSchema.optional(),
  /** extension (groups): every current member's role, in `memberIds` order */
  roster: z.array(rosterEntrySchema).optional(),
  /** extension: archived by this user (out of the main list until a new message, or until unarchived) */
  archived: z.boolean().optional(),
  /** extension: marked unread by this user (shown as unread until opened) */
  markedUnread: z.boolean().optional(),
  /** extension (groups): people who left, were removed or declined and posted here, so their messages keep a name */
  formerMembers: z.array(userSchema).optional(),
}));
export type Summary = z.infer<typeof summarySchema>;

/** A group's name, as typed at creation or rename. */
export const groupTitleSchema = z
  .string()
  .trim()
  .min(1, "The group needs a name.")
  .max(100, "A group name can be at most 100 characters.")
  .superRefine(nameRule);

/** At most this many people are named in one request (creation or add). */
export const GROUP_ADD_MAX = 200;

export const createConversationSchema = lazy(() => z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("direct"), peerId: idSchema }),
  z.strictObject({ type: z.literal("item"), itemId: idSchema }),
  z.strictObject({
    type: z.literal("group"),
    title: groupTitleSchema,
    memberIds: z.array(idSchema).min(1).max(GROUP_ADD_MAX),
  }),
]));
export type CreateConversation = z.infer<typeof createConversationSchema>;

export const settingsPatchSchema = lazy(() => z
  .strictObject({
    muted: z.boolean().optional(),
    pinned: z.boolean().optional(),
    remark: humanText(100, { clearable: true, name: true }).optional(),
    label: humanText(40, { clearable: true, name: true }).optional(),
    /** extension */
    archived: z.boolean().optional(),
    /** extension: reading (`POST …/read`) clears it */
    markedUnread: z.boolean().optional(),
  })
  .refine((p) => Object.keys(p).length > 0, "Nothing to change."));
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

/** extension: `POST /api/conversations/:id/read {seq}` marks read up to seq. */
export const markReadSchema = lazy(() => z.strictObject({ seq: z.number().int().nonnegative() }));

/** extension (groups): `POST /api/conversations/:id/members {userIds}` (the creator or an admin). */
export const addMembersSchema = lazy(() => z.strictObject({ userIds: z.array(idSchema).min(1).max(GROUP_ADD_MAX) }));
export type AddMembers = z.infer<typeof addMembersSchema>;

/** extension (groups): `PATCH /api/conversations/:id {title}` (the creator or an admin). */
export const conversationPatchSchema = lazy(() => z.strictObject({ title: groupTitleSchema }));
export type ConversationPatch = z.infer<typeof conversationPatchSchema>;
