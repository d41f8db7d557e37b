import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { ReportType, User } from "../../../shared/protocol/index.js";
import { hasContactDetails } from "../../../shared/safety/contact-details.js";
import type { StoredMessage, StoredSummary } from "../../db/records.js";
import type { MenuItem } from "../../lib/menu.js";
import { useSession } from "../../session.js";
import { displayNameFor } from "../conversations/contacts.js";
import { useBlockedIds, visibleMessages } from "./blocks.js";
import { BlockDialog, ReportDialog, unblock } from "./safety-dialogs.js";

type Dialog = { mode: "report"; type: ReportType; id: string } | { mode: "block"; user: User };

/** The other person of a direct or item chat (null in a group, or while unknown). */
function peerOf(summary: StoredSummary | null | undefined, me: string): User | null {
  if (!summary || summary.conversation.type === "group") return null;
  return summary.members?.find((m) => m.id !== me) ?? null;
}

/**
 * What safety adds to a conversation's menus (the list's rows, the
 * header's ⋯): Block… / Unblock and Report… for the other person of a direct
 * or item chat; `element` is the dialog one of them opened.
 */
export function useSafetyMenu() {
  const { t } = useTranslation();
  const session = useSession();
  const blocked = useBlockedIds(session.db);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const close = () => setDialog(null);
  return {
    items(summary: StoredSummary): MenuItem[] {
      const peer = peerOf(summary, session.user.id);
      if (!peer) return [];
      const name = displayNameFor(peer);
      return [
        blocked.has(peer.id)
          ? { label: t("safety.menu.unblock", { name }), onSelect: () => void unblock(session, peer.id, name) }
          : { label: t("safety.menu.block", { name }), danger: true, onSelect: () => setDialog({ mode: "block", user: peer }) },
        { label: t("safety.menu.report", { name }), danger: true, onSelect: () => setDialog({ mode: "report", type: "user", id: peer.id }) },
      ];
    },
    element: dialogElement(dialog, close),
  };
}

function dialogElement(dialog: Dialog | null, close: () => void): ReactNode {
  if (!dialog) return null;
  if (dialog.mode === "block") return <BlockDialog userId={dialog.user.id} name={displayNameFor(dialog.user)} onClose={close} />;
  return <ReportDialog type={dialog.type} id={dialog.id} onClose={close} />;
}

/**
 * Safety in an open conversation: whether its direct or item chat is with
 * someone I block (`blocked`: the banner replaces the composer), which
 * messages a group shows (none of the people I block), the message menu's
 * Report…, the item chat's tips, and the dialog.
 */
export function useSafetyInConversation(summary: StoredSummary | null | undefined, me: string) {
  const { t } = useTranslation();
  const session = useSession();
  const blockedIds = useBlockedIds(session.db);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const peer = peerOf(summary, me);
  const blocked = peer !== null && blockedIds.has(peer.id);
  const isGroup = summary?.conversation.type === "group";
  return {
    blocked,
    /** A group's messages without those of people I block; everything elsewhere. */
    visible: (messages: StoredMessage[]): StoredMessage[] => visibleMessages(messages, blockedIds, isGroup),
    /** Someone else's message: Report…; in a group also Block {name}… (a direct or item chat has it in its own menu). */
    messageItems: (message: StoredMessage): MenuItem[] => {
      if (message.senderId === me || message.kind === "system") return [];
      const items: MenuItem[] = [];
      if (!message.recalled) items.push({ label: t("safety.menu.reportMessage"), danger: true, onSelect: () => setDialog({ mode: "report", type: "message", id: message.id }) });
      const sender = isGroup ? summary?.members?.find((m) => m.id === message.senderId) : undefined;
      if (sender && !blockedIds.has(sender.id)) {
        items.push({ label: t("safety.menu.block", { name: displayNameFor(sender) }), danger: true, onSelect: () => setDialog({ mode: "block", user: sender }) });
      }
      return items;
    },
    banner: blocked && peer ? <BlockedBanner peer={peer} /> : null,
    tips: summary?.conversation.type === "item" ? <SafetyTips conversationId={summary.conversationId} /> : null,
    element: dialogElement(dialog, () => setDialog(null)),
  };
}

/** In place of the composer of a chat with someone I block. */
function BlockedBanner({ peer }: { peer: User }) {
  const { t } = useTranslation();
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    await unblock(session, peer.id, displayNameFor(peer));
    setBusy(false);
  };
  return (
    <div className="blocked-banner" role="status" data-testid="blocked-banner">
      <span>{t("safety.banner.text")}</span>
      <button type="button" className="link" aria-busy={busy} onClick={() => void (busy || run())}>
        {t("safety.banner.unblock")}
      </button>
    </div>
  );
}

const TIPS_KEY = "courier:safety-tips-dismissed";

/** The tips' close button shows a sign, not words (its aria-label says what it does). */
const DISMISS_MARK = "×";

function dismissedTips(): string[] {
  try {
    const ids: unknown = JSON.parse(localStorage.getItem(TIPS_KEY) ?? "[]");
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : [];
  } catch {
    return [];
  }
}

/** The item chat's short tips, until dismissed (per conversation, on this browser). */
function SafetyTips({ conversationId }: { conversationId: string }) {
  const { t } = useTranslation();
  const [dismissed, setDismissed] = useState(() => dismissedTips().includes(conversationId));
  if (dismissed) return null;
  const dismiss = () => {
    // The newest 200 are enough: older chats showing the tips again is harmless.
    localStorage.setItem(TIPS_KEY, JSON.stringify([...dismissedTips().filter((id) => id !== conversationId), conversationId].slice(-200)));
    setDismissed(true);
  };
  return (
    <div className="safety-tips" role="note" data-testid="safety-tips">
      <span>{t("safety.tips.text")}</span>
      <button type="button" className="icon small" aria-label={t("safety.tips.dismiss")} onClick={dismiss}>
        {DISMISS_MARK}
      </button>
    </div>
  );
}

/** The calm note under someone else's message that carries a phone number, an email address or a payment link. */
export function ContactNote({ message, me }: { message: Pick<StoredMessage, "senderId" | "kind" | "body">; me: string }) {
  const { t } = useTranslation();
  if (message.senderId === me || message.kind === "system" || !hasContactDetails(message.body)) return null;
  return (
    <p className="contact-note" role="note" data-testid="contact-note">
      {t("safety.contactNote")}
    </p>
  );
}
