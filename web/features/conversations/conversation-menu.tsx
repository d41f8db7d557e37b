import { useLiveQuery } from "dexie-react-hooks";
import { memo, useCallback, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { lastSeqOf, type StoredSummary as Summary } from "../../db/records.js";
import { pointBelow, PopupMenu, type MenuItem, type Point } from "../../lib/menu.js";
import { useSession } from "../../session.js";
import { useConnection } from "../../stores/connection.js";
import { selectedConversationId, useUi } from "../../stores/ui.js";
import { markRead } from "../conversation/read-marker.js";
import { useSafetyMenu } from "../safety/safety-view.js";
import { isGone, isRequest } from "../group/membership.js";
import { looksUnread, myLabels } from "./folders.js";
import { LabelDialog, RemarkDialog } from "./organise-dialogs.js";
import { changeSettingsOrSay, type SettingsAction } from "./settings-change.js";
import { chatName, conversationTitle } from "./summary-text.js";

/** The options button's glyph, the same in every language. */
const MORE_GLYPH = "⋯";

/** True while the server is reachable (settings changes are sent at once, not queued). */
export function useOnline(): boolean {
  return useConnection((s) => !s.browserOffline && s.status === "online");
}

type Open = { conversationId: string; at: Point; trigger: HTMLElement | null; mode: "menu" | "remark" | "label" };

/**
 * A conversation's menu (the list's rows, the conversation's header): Pin,
 * Mark as unread/read, Remark…, Label…, Mute, Archive. `open` shows it for a
 * conversation; `element` is what to render (the menu, or the dialog one of
 * its items opened). Each change shows at once and is undone, with a toast,
 * if the server refuses it.
 */
export function useConversationMenu() {
  const { t } = useTranslation();
  const session = useSession();
  const { db, user } = session;
  const online = useOnline();
  const navigate = useUi((s) => s.navigate);
  const selected = useUi((s) => selectedConversationId(s.route));
  const [open, setOpen] = useState<Open | null>(null);
  // The same function on every render: the list's rows are memoized (conversation-list.tsx) and take it as a prop.
  const openMenu = useCallback((conversationId: string, at: Point, trigger: HTMLElement | null) => setOpen({ conversationId, at, trigger, mode: "menu" }), []);
  const safety = useSafetyMenu(); // Block… / Unblock, Report… (issue 14)
  const summary = useLiveQuery(async () => (open ? ((await db.conversations.get(open.conversationId)) ?? null) : null), [db, open?.conversationId]);
  const labels = useLiveQuery(async () => (open?.mode === "label" ? myLabels(await db.conversations.toArray()) : []), [db, open?.mode]);

  const close = (restoreFocus: boolean) => {
    const trigger = open?.trigger;
    setOpen(null);
    // Once a dialog opened from the menu has gone: behind a modal dialog nothing can take focus.
    if (restoreFocus) setTimeout(() => trigger?.focus());
  };
  const change = (s: Summary, patch: Parameters<typeof changeSettingsOrSay>[2], action: SettingsAction) => {
    // Focus goes back to what opened the menu (if a row then leaves the list, list-keyboard.ts moves it on).
    if (open?.trigger?.isConnected && open.mode === "menu") open.trigger.focus();
    void changeSettingsOrSay(session, s.conversationId, patch, action, chatName(s, user.id));
  };

  const items = (s: Summary): MenuItem[] => {
    const off = !online;
    const unread = looksUnread(s);
    const list: MenuItem[] = [
      { label: s.pinned ? t("chats.menu.unpin") : t("chats.menu.pin"), disabled: off, onSelect: () => change(s, { pinned: !s.pinned }, s.pinned ? "unpin" : "pin") },
      {
        label: unread ? t("chats.menu.markRead") : t("chats.menu.markUnread"),
        disabled: off,
        onSelect: () => {
          if (!unread) {
            // Marked unread while open would be read again at once: back to the list.
            if (selected === s.conversationId) navigate({ name: "chats" });
            return change(s, { markedUnread: true }, "markUnread");
          }
          if (s.markedUnread) change(s, { markedUnread: false }, "markRead");
          const lastSeq = lastSeqOf(s);
          if (s.unread > 0 && lastSeq > 0) void markRead(session, s.conversationId, lastSeq);
        },
      },
      // The menu closes as an item is chosen; these then open their dialog in its place.
      { label: t("chats.menu.remark"), disabled: off, onSelect: () => open && setOpen({ ...open, mode: "remark" }) },
      { label: t("chats.menu.label"), disabled: off, onSelect: () => open && setOpen({ ...open, mode: "label" }) },
    ];
    list.push({ label: s.muted ? t("chats.menu.unmute") : t("chats.menu.mute"), disabled: off, onSelect: () => change(s, { muted: !s.muted }, s.muted ? "unmute" : "mute") });
    list.push({ label: s.archived ? t("chats.menu.unarchive") : t("chats.menu.archive"), disabled: off, onSelect: () => change(s, { archived: !s.archived }, s.archived ? "unarchive" : "archive") });
    list.push(...safety.items(s).map((item) => ({ ...item, disabled: off })));
    return list;
  };

  let element = null;
  // A request or a group I left has no settings to change (the server answers 403).
  if (open && summary?.conversationId === open.conversationId && !isRequest(summary) && !isGone(summary)) {
    const title = chatName(summary, user.id);
    const done = () => close(true);
    if (open.mode === "menu") {
      element = <PopupMenu label={t("chats.menu.options", { title })} items={items(summary)} at={open.at} note={online ? null : t("chats.menu.offline")} onClose={close} />;
    } else if (open.mode === "remark") {
      element = <RemarkDialog name={conversationTitle(summary, user.id)} remark={summary.remark} onClose={done} onSave={(remark) => (done(), change(summary, { remark }, "remark"))} />;
    } else if (labels) {
      element = <LabelDialog label={summary.label.trim()} labels={labels} onClose={done} onSave={(label) => (done(), change(summary, { label }, "label"))} />;
    }
  }

  return {
    /** The conversation whose menu (or dialog) is open. */
    openFor: open?.conversationId ?? null,
    open: openMenu,
    element: (
      <>
        {element}
        {safety.element}
      </>
    ),
  };
}

/** The conversation header's "⋯" button and its menu (on a phone, Mute lives only here: the header's own button is hidden). */
export const ConversationMenuButton = memo(function ConversationMenuButton({ conversationId }: { conversationId: string }) {
  const { t } = useTranslation();
  const menu = useConversationMenu();
  const button = useRef<HTMLButtonElement>(null);
  const expanded = menu.openFor === conversationId;
  return (
    <>
      <button
        ref={button}
        type="button"
        className="icon conversation-options"
        aria-label={t("chats.menu.conversationOptions")}
        aria-haspopup="menu"
        aria-expanded={expanded}
        data-testid="conversation-options"
        onClick={(e) => menu.open(conversationId, pointBelow(e.currentTarget), e.currentTarget)}
      >
        <span aria-hidden="true">{MORE_GLYPH}</span>
      </button>
      {menu.element}
    </>
  );
});
