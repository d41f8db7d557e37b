import type { DraftRow, OutboxRow } from "../../db/records.js";
import { t } from "../../i18n/index.js";

/** One conversation with something not sent, as the sign-out dialog lists it. */
export interface UnsentLine {
  conversationId: string;
  title: string;
  messages: number;
  draft: boolean;
}

/** Conversations in the order their oldest unsent message was typed, then those with only a draft. */
export function unsentLines(messages: readonly OutboxRow[], drafts: readonly DraftRow[], titleOf: (conversationId: string) => string): UnsentLine[] {
  const lines = new Map<string, UnsentLine>();
  const line = (conversationId: string) => {
    let found = lines.get(conversationId);
    if (!found) lines.set(conversationId, (found = { conversationId, title: titleOf(conversationId), messages: 0, draft: false }));
    return found;
  };
  for (const row of [...messages].sort((a, b) => a.createdAt - b.createdAt)) line(row.conversationId).messages++;
  for (const draft of drafts) line(draft.conversationId).draft = true;
  return [...lines.values()];
}

/** "2 messages not sent yet", "1 draft not sent", "1 message and 1 draft not sent yet". */
export function unsentHeading(messages: number, drafts: number): string {
  const m = t("account.unsent.messages", { count: messages });
  const d = t("account.unsent.drafts", { count: drafts });
  const what = messages && drafts ? t("account.unsent.both", { messages: m, drafts: d }) : messages ? m : d;
  return t("account.unsent.heading", { what });
}

/** "Bob: 2 messages", "Team: 1 message and a draft", "Alice: a draft". */
export function describeLine(line: UnsentLine): string {
  const m = t("account.unsent.messages", { count: line.messages });
  const what =
    line.messages && line.draft ? t("account.unsent.withDraft", { messages: m }) : line.messages ? m : t("account.unsent.aDraft");
  return t("account.unsent.line", { title: line.title, what });
}
