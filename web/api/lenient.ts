import { z } from "zod";
import { entryDataSchemas, messageKindSchema, messageSchema, snapshotSchema, summarySchema, type EntryKind } from "../../shared/protocol/index.js";
import { t } from "../i18n/index.js";
import { lazy } from "../../shared/protocol/lazy.js";

/**
 * Forward compatibility. A newer server may send message kinds this app does
 * not know yet. The shared schemas list the kinds of protocol v1 exactly,
 * which is right for what the server accepts, but on the way in one unknown
 * kind would fail a whole snapshot, history page or conversation list, or
 * get a `msg` entry skipped as malformed. So the web app reads messages with
 * `kind` relaxed to any string: such a message is stored like any other and
 * shown as a placeholder (see `isKnownKind`).
 */
export const anyMessageSchema = lazy(() => messageSchema.extend({ kind: z.string() }));
export type AnyMessage = z.infer<typeof anyMessageSchema>;

export const anySummarySchema = lazy(() => summarySchema.extend({ lastMessage: anyMessageSchema.nullable() }));
export type AnySummary = z.infer<typeof anySummarySchema>;

export const anySnapshotSchema = lazy(() => snapshotSchema.extend({
  conversations: z.array(anySummarySchema),
  messages: z.record(z.string(), z.array(anyMessageSchema)),
}));
export type AnySnapshot = z.infer<typeof anySnapshotSchema>;

/** Entry payloads as the consumers read them: `msg` and `conv` with the relaxed message. */
export const lenientEntryDataSchemas = lazy(() => ({
  ...entryDataSchemas,
  msg: z.object({ message: anyMessageSchema }),
  conv: z.object({ summary: anySummarySchema }),
} satisfies Record<EntryKind, z.ZodType>));

const KNOWN_KINDS: ReadonlySet<string> = new Set(messageKindSchema.options);

/** False for a kind from a newer server: show a placeholder, not its body. */
export function isKnownKind(kind: string): boolean {
  return KNOWN_KINDS.has(kind);
}

/** Shown in place of a message of a kind this version does not know. */
export function unsupportedMessageText(): string {
  return t("connection.outbox.unsupported");
}
