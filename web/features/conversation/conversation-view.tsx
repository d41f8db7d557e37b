import { Dexie } from "dexie";
import { useLiveQuery } from "dexie-react-hooks";
import { useShallow } from "zustand/react/shallow";
import { memo, useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { describeError } from "../../api/errors.js";
import { usePageVisible, useNow } from "../../lib/hooks.js";
import { BackIcon } from "../../lib/icons.js";
import { ConversationAvatar } from "../../lib/avatar.js";
import { useSession } from "../../session.js";
import { useUi } from "../../stores/ui.js";
import { conversationTitle, memberName, notifyHeadline, otherMembers } from "../conversations/summary-text.js";
import { ConversationMenuButton } from "../conversations/conversation-menu.js";
import { ConversationSearchButton } from "../search/search-button.js";
import { GroupPanel } from "../group/group-panel.js";
import { goneText, isGone, isRequest, memberCountText } from "../group/membership.js";
import { ActionError, useAction } from "../group/action.js";
import { NotificationPrompt } from "../notifications/notification-prompt.js";
import { lastSeqOf, type ReplyRef, type StoredMessage } from "../../db/records.js";
import type { PhotoInput } from "../../db/outbox-photos.js";
import { useRemovedHere } from "../../commands/local.js";
import { keepLanded, landedBeyond, landedCommits, useLanding, withLanded } from "../../db/landing.js";
import { showToast } from "../shell/toasts.js";
import { useSafetyInConversation } from "../safety/safety-view.js";
import { Composer } from "./composer.js";
import { ConversationStatus, useTypingSignal } from "../presence/conversation-status.js";
import { fetchEarlier, HISTORY_PAGE, loadDownTo } from "./history.js";
import { canRecall, copyText, editableText, hide, recall, recallPending, useActionMemory } from "./message-actions.js";
import { ItemPanel } from "./item-panel.js";
import { markRead } from "./read-marker.js";
import { firstLine, MessageList, type ActionItem, type MessageActions } from "./message-list.js";

const INITIAL_WINDOW = 100;

export function ConversationView({ conversationId }: { conversationId: string }) {
  const { t } = useTranslation();
  const session = useSession();
  const { db, user, client } = session;
  // Presence: "is typing…" for the others while the composer's text changes (at most every 3 s).
  const typingSignal = useTypingSignal(conversationId);
  const navigate = useUi((s) => s.navigate);
  const visible = usePageVisible();
  const now = useNow();
  const [windowSize, setWindowSize] = useState(INITIAL_WINDOW);
  const [exhausted, setExhausted] = useState(false);
  const [loadingEarlier, setLoadingEarlier] = useState(false);
  const [earlierError, setEarlierError] = useState<string | null>(null);
  const [lookup, setLookup] = useState<"idle" | "fetching" | "missing">("idle");
  const [infoOpen, setInfoOpen] = useState(false);
  const infoButton = useRef<HTMLButtonElement>(null);
  const [replyTo, setReplyTo] = useState<StoredMessage | null>(null);
  const [composerFocus, setComposerFocus] = useState(0);
  const [prefill, setPrefill] = useState<{ text: string; nonce: number } | null>(null);
  const [reveal, setReveal] = useState<{ id: string; nonce: number } | null>(null);
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const hiding = useActionMemory((s) => s.hiding);
  useActionMemory((s) => s.recalled); // "Edit again" shows as soon as a recall is remembered
  const focusMessage = useUi((s) => s.focusMessage);
  const clearFocusMessage = useUi((s) => s.clearFocusMessage);
  const jumpToMessage = useUi((s) => s.jumpToMessage);
  /** The jump under way; leaving the conversation (or another jump) makes an earlier one stale. */
  const jumps = useRef(0);
  useEffect(
    () => () => {
      jumps.current++;
    },
    [conversationId],
  );

  // null (not undefined) once we know it is not stored: undefined means "still reading".
  const summary = useLiveQuery(async () => (await db.conversations.get(conversationId)) ?? null, [db, conversationId]);
  // Safety (issue 14): the blocked banner, groups without the people I block, Report…, the item chat's tips.
  const safety = useSafetyInConversation(summary, user.id);

  // One read transaction over both tables: the server's copy and the pending
  // row can never both be on screen, nor neither.
  const thread = useLiveQuery(() => {
    const readAfter = landedCommits();
    return db.transaction("r", db.messages, db.outbox, async () => {
      const newestFirst = await db.messages
        .where("[conversationId+seq]")
        .between([conversationId, Dexie.minKey], [conversationId, Dexie.maxKey])
        .reverse()
        // Deleted for me: a tombstone row no screen shows (db/consumers.ts).
        .filter((m) => !m.hidden)
        .limit(windowSize)
        .toArray();
      const pending = await db.outbox.where("conversationId").equals(conversationId).sortBy("createdAt");
      return { messages: newestFirst.reverse(), pending, readAfter };
    });
  }, [db, conversationId, windowSize]);

  // New messages being stored right now: on screen in the frame they arrive, until a read has them (db/landing.ts).
  // Only those not read back yet: one leaving after its commit, when the read has it, does not draw the conversation again.
  const stored = useRef<StoredMessage[]>([]);
  stored.current = thread?.messages ?? [];
  const landed = useLanding(useShallow((s) => landedBeyond(stored.current, s.byConversation[conversationId])));
  const kept = useRef<{ conversationId: string; messages: StoredMessage[] }>({ conversationId, messages: [] });
  const shown = useMemo(() => {
    if (!thread) return [];
    const before = kept.current.conversationId === conversationId ? kept.current.messages : [];
    const messages = keepLanded(before, landed, thread.readAfter);
    kept.current = { conversationId, messages };
    return withLanded(thread.messages, messages);
  }, [thread, landed, conversationId]);

  // Removed from this device by an administrator's command while open: back to the list, saying why.
  const removedHere = useRemovedHere((s) => s.ids.has(conversationId));
  useEffect(() => {
    if (!removedHere) return;
    useRemovedHere.getState().forget(conversationId);
    showToast(t("conversation.removedByAdmin"), "info");
    navigate({ name: "chats" });
  }, [removedHere, conversationId, navigate, t]);

  // A conversation we were sent to (new chat, a link) may not have synced yet.
  useEffect(() => {
    if (summary !== null || lookup !== "idle" || removedHere) return;
    setLookup("fetching");
    client
      .ensureSummaries()
      .catch(() => {})
      .then(() => setLookup("missing"));
  }, [summary, lookup, client, removedHere]);

  // Mark read while open and visible, whenever something new from others shows up.
  const newestSeq = thread?.messages.at(-1)?.seq ?? 0;
  // A request's reading is not shared, and a group I left can't be marked: only members mark read.
  const member = !!summary && !isRequest(summary) && !isGone(summary);
  const hasUnseen = member && !!thread && (summary.unread > 0 || thread.messages.some((m) => m.seq > summary.readSeq && m.senderId !== user.id));
  useEffect(() => {
    if (visible && hasUnseen && newestSeq > 0) void markRead(session, conversationId, newestSeq);
  }, [visible, hasUnseen, newestSeq, session, conversationId]);

  // The messages quoted on screen, as held here (a recall or a delete for me shows at once).
  const quotedIds = [...new Set([...(thread?.messages ?? []), ...(thread?.pending ?? [])].flatMap((m) => (m.replyTo ? [m.replyTo.id] : [])))].sort().join(" ");
  const quotedRows = useLiveQuery(async () => (quotedIds ? db.messages.bulkGet(quotedIds.split(" ")) : []), [db, quotedIds]);
  const quoted = useMemo(() => new Map(quotedIds ? quotedIds.split(" ").map((id, i) => [id, quotedRows?.[i]] as const) : []), [quotedIds, quotedRows]);

  // Opening at one message (a quote tapped here, a search result): load down to it, widen the window, scroll.
  useEffect(() => {
    if (!focusMessage || focusMessage.conversationId !== conversationId) return;
    clearFocusMessage();
    const { messageId, seq } = focusMessage;
    const run = ++jumps.current;
    const stale = () => jumps.current !== run;
    void (async () => {
      try {
        if (!(await loadDownTo(session, conversationId, seq, stale))) throw new Error(t("conversation.messageGone"));
        const held = await db.messages.get(messageId);
        if (!held || held.hidden) throw new Error(t("conversation.messageGone"));
        const above = await db.messages
          .where("[conversationId+seq]")
          .between([conversationId, seq], [conversationId, Dexie.maxKey])
          .filter((m) => !m.hidden)
          .count();
        if (stale()) return;
        setWindowSize((n) => Math.max(n, above + 5));
        setReveal((r) => ({ id: messageId, nonce: (r?.nonce ?? 0) + 1 }));
      } catch (error) {
        if (!stale()) setNotice({ text: describeError(error), error: true });
      }
    })();
  }, [focusMessage, conversationId, clearFocusMessage, session, db, t]);

  // The composer's callbacks keep their identity while the conversation draws again (it is memoised: composer.tsx).
  const sendReply = useCallback(
    async (body: string, photos?: PhotoInput[]) => {
      await client.outbox.send(conversationId, body, replyTo ? { id: replyTo.id, seq: replyTo.seq } : undefined, photos);
      setReplyTo(null);
    },
    [client, conversationId, replyTo],
  );
  const cancelReply = useCallback(() => setReplyTo(null), []);

  const back = () => navigate({ name: "chats" });

  if (summary === undefined || thread === undefined) return <div className="conversation" aria-busy="true" />;
  if (summary === null) {
    return (
      <div className="conversation">
        <ConversationHeader title={t("conversation.header.fallbackTitle")} subtitle={null} onBack={back} />
        <p className="muted pad center">{lookup === "missing" ? t("conversation.unavailable") : t("conversation.loading")}</p>
      </div>
    );
  }

  const oldestSeq = thread.messages[0]?.seq;
  const lastSeq = lastSeqOf(summary);
  const canLoadEarlier = !exhausted && (oldestSeq === undefined ? lastSeq > 0 : oldestSeq > 1);

  const loadEarlier = async () => {
    setLoadingEarlier(true);
    setEarlierError(null);
    try {
      const localOlder =
        oldestSeq === undefined
          ? 0
          : await db.messages
              .where("[conversationId+seq]")
              .between([conversationId, Dexie.minKey], [conversationId, oldestSeq])
              .count();
      if (localOlder < HISTORY_PAGE) {
        const got = await fetchEarlier(session, conversationId, oldestSeq);
        if (got < HISTORY_PAGE) setExhausted(true);
      }
      setWindowSize((n) => n + HISTORY_PAGE);
    } catch (error) {
      setEarlierError(describeError(error));
    } finally {
      setLoadingEarlier(false);
    }
  };

  const say = (text: string | null, error = true) => setNotice(text ? { text, error } : null);
  const actions: MessageActions = {
    quoted,
    reveal,
    onJump: (ref: ReplyRef) => jumpToMessage(conversationId, ref.id, ref.seq),
    editAgain: (message) => {
      const text = editableText(message.clientMsgId, Date.now());
      if (text === null) return null;
      return () => {
        useActionMemory.getState().forget(message.clientMsgId);
        setPrefill({ text, nonce: Date.now() });
      };
    },
    itemsFor: (target) => {
      const copy = (text: string): ActionItem => ({ label: t("conversation.actions.copy"), onSelect: () => void copyText(text).then((said) => say(said, false)) });
      if ("pending" in target) {
        const row = target.pending;
        return [copy(row.body), { label: t("conversation.actions.recall"), danger: true, onSelect: () => void recallPending(session, row).then((error) => say(error ?? t("conversation.actions.recalledBeforeSent"), !!error)) }];
      }
      const message = target.message;
      const text = message.kind === "text" && !message.recalled;
      const items: ActionItem[] = [];
      if (member && text) {
        items.push({
          label: t("conversation.actions.reply"),
          onSelect: () => {
            setReplyTo(message);
            setComposerFocus((n) => n + 1);
          },
        });
      }
      if (text && message.body) items.push(copy(message.body));
      // The quote itself is a pointer's target; the keyboard gets there from here.
      const quote = message.replyTo;
      if (quote) items.push({ label: t("conversation.actions.goToQuote"), onSelect: () => jumpToMessage(conversationId, quote.id, quote.seq) });
      if (canRecall(message, user.id, Date.now())) items.push({ label: t("conversation.actions.recall"), danger: true, onSelect: () => void recall(session, message).then((error) => say(error)) });
      items.push({
        label: t("conversation.actions.deleteForMe"),
        danger: true,
        confirm: { question: t("conversation.actions.deleteQuestion"), act: t("common.delete") },
        onSelect: () => void hide(session, message).then((error) => say(error)),
      });
      items.push(...safety.messageItems(message));
      return items;
    },
  };
  // The quoted message as it is now: recalled meanwhile, the bar says so.
  const replying = replyTo ? (thread.messages.find((m) => m.id === replyTo.id) ?? replyTo) : null;
  const reply = replying
    ? { who: replying.senderId === user.id ? t("conversation.quote.yourself") : memberName(summary, replying.senderId), text: replying.recalled ? t("conversation.quote.recalled") : firstLine(replying.body) }
    : null;
  const others = otherMembers(summary, user.id);
  const isGroup = summary.conversation.type === "group";
  const subtitle = isGroup ? memberCountText(summary) : summary.conversation.type === "direct" && others[0] ? t("conversation.header.username", { username: others[0].username }) : null;
  const showInfo = infoOpen && isGroup && !isGone(summary);
  const closeInfo = () => {
    setInfoOpen(false);
    infoButton.current?.focus();
  };

  return (
    <div className="conversation" data-testid="conversation" data-conversation-id={conversationId}>
      <ConversationHeader title={conversationTitle(summary, user.id)} subtitle={subtitle} onBack={back} avatar={<ConversationAvatar summary={summary} me={user.id} size="small" listing={false} />} status={<ConversationStatus summary={summary} me={user.id} />}>
        {isGroup && !isGone(summary) ? (
          <button
            ref={infoButton}
            type="button"
            className="secondary small"
            aria-expanded={showInfo}
            onClick={() => (showInfo ? closeInfo() : setInfoOpen(true))}
            data-testid="group-info"
          >
            {t("conversation.header.groupInfo")}
          </button>
        ) : null}
        <ConversationSearchButton conversationId={conversationId} title={conversationTitle(summary, user.id)} />
        <MuteButton conversationId={conversationId} muted={summary.muted} />
        {member ? <ConversationMenuButton conversationId={conversationId} /> : null}
      </ConversationHeader>
      {/* The group's details sit beside the messages when there is room, over them (a drawer) when not. */}
      <div className="conversation-body">
        <div className="conversation-main">
          {/* What sits above the messages scrolls on its own past a share of the height: on a phone with the
              keyboard open, a listing, a tip and a prompt would otherwise push the messages and the composer away. */}
          <div className="above-messages" data-testid="above-messages">
            {isRequest(summary) ? <RequestBanner conversationId={conversationId} addedBy={summary.addedBy ? memberName(summary, summary.addedBy) : null} /> : null}
            {isGone(summary) ? (
              <div className="notice-banner" role="status" data-testid="membership-gone">
                <p>{goneText(summary)}</p>
              </div>
            ) : null}
            {summary.conversation.type === "item" ? <ItemPanel summary={summary} /> : null}
            {safety.tips}
            {/* The conversation has started, and I am in it: the moment to offer notifications, not before (nor on a request). */}
            {member && lastSeq > 0 ? <NotificationPrompt headline={notifyHeadline(summary, user.id)} /> : null}
          </div>
          <MessageList
            me={user.id}
            summary={summary}
            messages={safety.visible(hiding.size > 0 ? shown.filter((m) => !hiding.has(m.id)) : shown)}
            pending={thread.pending}
            now={now}
            canLoadEarlier={canLoadEarlier}
            loadingEarlier={loadingEarlier}
            earlierError={earlierError}
            onLoadEarlier={loadEarlier}
            onRetry={(id) => void client.outbox.retry(id)}
            onDiscard={(id) => void client.outbox.discard(id)}
            actions={actions}
          />
          {notice ? (
            <div className={`action-notice${notice.error ? " is-error" : ""}`} role={notice.error ? "alert" : "status"} data-testid="action-notice">
              <span>{notice.text}</span>
              <button type="button" className="icon small" aria-label={t("conversation.notice.dismiss")} onClick={() => setNotice(null)}>
                {t("conversation.notice.dismissMark")}
              </button>
            </div>
          ) : null}
          {member ? safety.banner : null}
          {member && !safety.blocked ? (
            <Composer
              key={conversationId}
              conversationId={conversationId}
              onSend={sendReply}
              reply={reply}
              onCancelReply={cancelReply}
              prefill={prefill}
              focusKey={composerFocus}
              onTyping={typingSignal}
            />
          ) : null}
        </div>
        {showInfo ? <GroupPanel summary={summary} onClose={closeInfo} /> : null}
        {safety.element}
      </div>
    </div>
  );
}

/** A stranger's group, open to decide: Accept (it becomes a chat like any other) or Decline (leave it). */
function RequestBanner({ conversationId, addedBy }: { conversationId: string; addedBy: string | null }) {
  const { t } = useTranslation();
  const { api } = useSession();
  const navigate = useUi((s) => s.navigate);
  const { busy, error, run } = useAction();
  const decline = async () => {
    if (await run(() => api.leaveConversation(conversationId))) navigate({ name: "chats" });
  };
  return (
    <div className="notice-banner" role="group" aria-label={t("conversation.request.label")} data-testid="request-banner">
      <p>{addedBy ? t("conversation.request.addedBy", { name: addedBy }) : t("conversation.request.added")}</p>
      <div className="notice-actions">
        <button type="button" className="primary small" aria-busy={busy} onClick={() => void run(() => api.acceptRequest(conversationId))}>
          {t("conversation.request.accept")}
        </button>
        <button type="button" className="secondary small" aria-busy={busy} onClick={() => void decline()}>
          {t("conversation.request.decline")}
        </button>
      </div>
      <ActionError error={error} />
    </div>
  );
}

function ConversationHeader({ title, subtitle, onBack, avatar, status, children }: { title: string; subtitle: string | null; onBack(): void; avatar?: ReactNode; status?: ReactNode; children?: ReactNode }) {
  const { t } = useTranslation();
  return (
    <div className="conversation-header">
      <button type="button" className="icon back" aria-label={t("conversation.header.back")} onClick={onBack}>
        <BackIcon />
      </button>
      {avatar}
      <div className="conversation-heading">
        <h2>{title}</h2>
        {subtitle ? <p className="muted small-text">{subtitle}</p> : null}
        {status}
      </div>
      {children}
    </div>
  );
}

/** Muting stops notifications and grey-badges the conversation; the change arrives back through sync. */
const MuteButton = memo(function MuteButton({ conversationId, muted }: { conversationId: string; muted: boolean }) {
  const { t } = useTranslation();
  const { api } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.updateSettings(conversationId, { muted: !muted });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="header-actions">
      {/* Not disabled while busy: a disabled button drops keyboard focus. */}
      <button type="button" className="secondary small" aria-pressed={muted} aria-busy={busy} onClick={() => void (busy || toggle())} data-testid="mute-toggle">
        {muted ? t("conversation.header.unmute") : t("conversation.header.mute")}
      </button>
      {error ? (
        <span className="error small-text" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
});
