import { useLiveQuery } from "dexie-react-hooks";
import { type ItemState, itemState } from "../../../shared/protocol/index.js";
import { memo, useEffect, useMemo, useRef } from "react";
import { useTranslation } from "react-i18next";
import type { TFunction } from "i18next";
import type { OutboxRow, StoredSummary } from "../../db/records.js";
import type { CourierDb } from "../../db/database.js";
import { useNow, usePageVisible } from "../../lib/hooks.js";
import { ConversationAvatar } from "../../lib/avatar.js";
import { MutedIcon, PinIcon } from "../../lib/icons.js";
import { pointBelow, useMenuTrigger } from "../../lib/menu.js";
import { relativeTime } from "../../lib/time.js";
import { useSession, type Session } from "../../session.js";
import { selectedConversationId, useUi } from "../../stores/ui.js";
import { activityAt, chatName, conversationTitle, pendingPreview, previewParts, type PreviewParts } from "./summary-text.js";
import { isGone, isRequest } from "../group/membership.js";
import { contactRemarks, useContacts } from "./contacts.js";
import { useConversationMenu, useOnline } from "./conversation-menu.js";
import { FolderBar, useFolder } from "./folder-bar.js";
import { byPinThenActivity, emptyFolderText, inFolder, looksUnread } from "./folders.js";
import { RequestsSection } from "./requests-section.js";
import { GlobalSearch } from "../search/search-button.js";
import { blockedLast, blockedPreview, useStoredBlockedIds } from "../safety/blocks.js";
import { changeSettings } from "./settings-change.js";
import { totalUnread, useUnreadTitle } from "./use-unread-title.js";
import { usePreviewStatus } from "../status/delivery-label.js";
import { useListKeyboard } from "./list-keyboard.js";
import { useFirstScreen } from "../../boot/snapshot.js";
import { useFirstPaintSaver, useRemoveFirstPaint } from "../../boot/save-first-paint.js";
import { sameRowProps } from "./same-row.js";

const NO_ONE: ReadonlySet<string> = new Set();

/** Symbols, the same in every language. */
const MANY_UNREAD = "99+";
const MORE_GLYPH = "⋯";
const STATUS_SEPARATOR = " · ";

type Row = { summary: StoredSummary; at: number; pinned: boolean; preview: PreviewParts };

export function ConversationList() {
  const { t } = useTranslation();
  const session = useSession();
  const { db, user } = session;
  // Groups I am no longer in stay stored (an open one says why) but leave the list; requests are listed apart.
  const liveAll = useLiveQuery(() => listedConversations(db), [db]);
  const live = useMemo(() => liveAll?.filter((s) => !isGone(s)), [liveAll]);
  // The newest queued message per conversation: offline, what I typed shows in the preview at once.
  const liveOutbox = useLiveQuery(() => listedOutbox(db), [db]);
  const livePending = useMemo(() => liveOutbox && newestByConversation(liveOutbox), [liveOutbox]);
  // Safety (issue 14): a group's newest message from someone I block is not previewed.
  const liveBlocked = useStoredBlockedIds(db);
  const answered = liveAll !== undefined && liveOutbox !== undefined && liveBlocked !== undefined;
  // At a cold start, what the boot script read while the app loaded (web/boot), until these queries answer.
  const first = useFirstScreen(user.id, answered);
  const firstScreen = useMemo(
    () =>
      first && {
        stored: first.conversations.filter((s) => !isGone(s)),
        pending: newestByConversation(first.outbox),
        blocked: new Set(first.blocks?.userIds ?? []),
      },
    [first],
  );
  const stored = live ?? firstScreen?.stored;
  const newestPending = livePending ?? firstScreen?.pending;
  const blocked = liveBlocked ?? firstScreen?.blocked ?? NO_ONE;
  const requests = stored?.filter(isRequest) ?? [];
  const summaries = stored?.filter((s) => !isRequest(s));
  const selected = useUi((s) => selectedConversationId(s.route));
  const onList = useUi((s) => s.route.name === "chats");
  const navigate = useUi((s) => s.navigate);
  const now = useNow();
  // Names on the rows read my remarks (displayNameFor): a changed one must reach rows whose summary did not change.
  const remarks = useContacts((s) => s.remarks);
  // The boot script's copy of this list gives way once the list has data to draw (web/boot/first-paint.ts).
  useRemoveFirstPaint(summaries !== undefined);
  const [folder, setFolder] = useFolder(user.id, summaries);
  // What this draws, saved for the next start's first paint (web/boot): on the list, from its own queries.
  useFirstPaintSaver(user.id, answered && onList ? { conversations: liveAll, outbox: liveOutbox, blocked: liveBlocked, folder } : null);
  useUnreadTitle(summaries ? totalUnread(summaries) : undefined);
  useContactRemarksFrom(stored, user.id);
  useClearMarkedUnread(session, summaries?.find((s) => s.conversationId === selected));

  if (summaries === undefined) return <p className="muted pad">{t("chats.loading")}</p>;
  if (summaries.length === 0 && requests.length === 0) {
    return (
      <div className="empty" data-testid="conversations-empty">
        <p>{t("chats.empty.text")}</p>
        {/* Links, not buttons: the header's "Chats"/"Listings" buttons keep unique names. */}
        <div className="row">
          <a className="button-like" href="#/new" onClick={(e) => (e.preventDefault(), navigate({ name: "new-chat" }))}>
            {t("chats.empty.findSomeone")}
          </a>
          <a className="button-like" href="#/listings" onClick={(e) => (e.preventDefault(), navigate({ name: "listings" }))}>
            {t("chats.empty.browseListings")}
          </a>
        </div>
      </div>
    );
  }

  const rows: Row[] = summaries
    .filter((summary) => inFolder(summary, folder, user.id))
    .map((summary) => {
      const pending = newestPending?.get(summary.conversationId);
      const pendingIsNewest = !!pending && pending.createdAt > (summary.lastMessage?.at ?? 0);
      const at = pendingIsNewest ? Math.max(activityAt(summary), pending.createdAt) : activityAt(summary);
      const preview = pendingIsNewest
        ? pendingPreview(pending)
        : blockedLast(summary, blocked)
          ? { who: null, text: blockedPreview() }
          : previewParts(summary.lastMessage, summary, user.id);
      return { summary, at, pinned: summary.pinned, preview };
    });
  // Pinned first, then newest activity (a message queued here counts).
  rows.sort(byPinThenActivity);

  return (
    <>
      <GlobalSearch />
      <FolderBar summaries={summaries} current={folder} onChoose={setFolder} />
      {folder.kind === "all" ? <RequestsSection requests={requests} /> : null}
      {rows.length > 0 ? (
        <ConversationRows rows={rows} selected={selected} userId={user.id} now={now} remarks={remarks} t={t} />
      ) : (
        <p className="muted pad center" data-testid="folder-empty">
          {emptyFolderText(folder)}
        </p>
      )}
    </>
  );
}

/**
 * What the list draws from, read as the boot script reads it (web/boot/read.ts: every summary in primary-key
 * order, the outbox by `createdAt`): the first paint's digest is computed from these very arrays.
 */
export const listedConversations = (db: CourierDb) => db.conversations.toArray();
export const listedOutbox = (db: CourierDb) => db.outbox.orderBy("createdAt").toArray();

function newestByConversation(rows: readonly OutboxRow[]): Map<string, OutboxRow> {
  const newest = new Map<string, OutboxRow>();
  for (const row of rows) newest.set(row.conversationId, row); // oldest first: the last one wins
  return newest;
}

/** My remarks for people, from my direct conversations, for every name on screen (contacts.ts). */
function useContactRemarksFrom(summaries: StoredSummary[] | undefined, me: string): void {
  const setRemarks = useContacts((s) => s.setRemarks);
  useEffect(() => {
    if (summaries) setRemarks(contactRemarks(summaries, me));
  }, [summaries, me, setRemarks]);
}

/**
 * Opening a conversation I marked unread clears the mark (on my other
 * devices too): when it is opened, or the page shown again, with the server
 * reachable. A mark set on another device while it is on screen here stays.
 */
function useClearMarkedUnread(session: Session, open: StoredSummary | undefined): void {
  const visible = usePageVisible();
  const online = useOnline();
  const seen = useRef<string | null>(null);
  const id = open?.conversationId ?? null;
  const marked = open?.markedUnread === true;
  useEffect(() => {
    if (!id || !visible) {
      seen.current = null;
      return;
    }
    if (!online || seen.current === id) return;
    seen.current = id;
    if (marked) void changeSettings(session, id, { markedUnread: false }).catch(() => {});
  }, [id, marked, visible, online, session]);
}

/**
 * The rows take the list's `t` (a new one when the language changes) rather
 * than each asking react-i18next for its own: 50 rows were 100-150 hooks, each
 * subscribing to the language, on the cold start's path (issue 16, ROWT).
 */
function ConversationRows(props: { rows: Row[]; selected: string | null; userId: string; now: number; remarks: ReadonlyMap<string, string>; t: TFunction }) {
  const { rows, selected, userId, now, remarks, t } = props;
  const menu = useConversationMenu();
  const keys = useListKeyboard();
  return (
    <>
      <ul className="conversation-list" role="list" ref={keys.ref} onKeyDown={keys.onKeyDown}>
        {rows.map(({ summary, at, preview }) => (
          <ConversationRow
            key={summary.conversationId}
            summary={summary}
            at={at}
            preview={preview}
            selected={summary.conversationId === selected}
            menuOpen={menu.openFor === summary.conversationId}
            userId={userId}
            now={now}
            onMenu={menu.open}
            remarks={remarks}
            t={t}
          />
        ))}
      </ul>
      {menu.element}
    </>
  );
}

type RowProps = Omit<Row, "pinned"> & {
  selected: boolean;
  menuOpen: boolean;
  userId: string;
  now: number;
  onMenu: ReturnType<typeof useConversationMenu>["open"];
  /** Not read here: its identity changes with my remarks, which the row's names read (displayNameFor). */
  remarks: ReadonlyMap<string, string>;
  t: TFunction;
};

/**
 * Drawn again only when what it shows changes (sameRowProps): every write to
 * any summary, and the list's own queries answering after the boot read's
 * first screen, hand the list new objects with the same content (issue 16,
 * ROWMEMO).
 */
const ConversationRow = memo(function ConversationRow(props: RowProps) {
  const { summary, at, preview, selected, menuOpen, userId, now, onMenu, t } = props;
  const navigate = useUi((s) => s.navigate);
  const id = summary.conversationId;
  const trigger = useMenuTrigger((point, el) => onMenu(id, point, el));
  const title = conversationTitle(summary, userId);
  const name = chatName(summary, userId);
  // An item chat is named by its listing, the person (or my remark for the chat) on a line of its own.
  const item = summary.conversation.type === "item" ? summary.item : null;
  const unread = summary.unread;
  const label = summary.label.trim();
  const marked = unread === 0 && looksUnread(summary);
  return (
    <li className="conversation-row" data-menu-open={menuOpen ? "" : undefined}>
      <a
        href={`#/c/${encodeURIComponent(id)}`}
        className="conversation-item"
        data-testid="conversation-item"
        data-conversation-id={id}
        data-unread={marked ? "marked" : unread}
        data-muted={summary.muted ? "" : undefined}
        data-pinned={summary.pinned ? "" : undefined}
        data-archived={summary.archived ? "" : undefined}
        aria-current={selected ? "true" : undefined}
        aria-keyshortcuts="Shift+F10"
        onClick={(e) => {
          e.preventDefault();
          navigate({ name: "conversation", id });
        }}
        {...trigger}
      >
        <ConversationAvatar summary={summary} me={userId} />
        <span className="conversation-text">
          <span className="conversation-top">
            <span className="conversation-title">
              {summary.pinned ? (
                <span className="pin" role="img" aria-label={t("chats.row.pinned")} title={t("chats.row.pinned")} data-testid="pinned">
                  <PinIcon />
                </span>
              ) : null}
              {name}
            </span>
            {item ? <ItemStatus status={itemState(item)} t={t} /> : null}
            {label ? (
              <span className="label-tag" data-testid="label-tag">
                {label}
              </span>
            ) : null}
            <time className="conversation-time" dateTime={new Date(at).toISOString()} data-relative="">
              {relativeTime(at, now)}
            </time>
          </span>
          {item ? (
            <span className="conversation-person" data-testid="conversation-person">
              {title}
            </span>
          ) : null}
          <span className="conversation-bottom">
            <Preview parts={preview} t={t} />
            {summary.muted ? (
              <span className="muted-mark" role="img" aria-label={t("chats.row.muted")} title={t("chats.row.muted")}>
                <MutedIcon />
              </span>
            ) : null}
            {unread > 0 ? (
              <span className={`badge${summary.muted ? " muted" : ""}`} data-testid="unread-badge" aria-label={t("chats.row.unread", { count: unread })}>
                {unread > 99 ? MANY_UNREAD : unread}
              </span>
            ) : marked ? (
              <span className={`badge dot${summary.muted ? " muted" : ""}`} data-testid="marked-unread" role="img" aria-label={t("chats.row.markedUnread")} title={t("chats.row.markedUnread")} />
            ) : null}
          </span>
        </span>
      </a>
      <button
        type="button"
        className="icon row-menu"
        aria-label={t("chats.row.options", { title: name })}
        aria-haspopup="menu"
        aria-expanded={menuOpen}
        data-testid="row-menu"
        onClick={(e) => onMenu(id, pointBelow(e.currentTarget), e.currentTarget)}
      >
        <span aria-hidden="true">{MORE_GLYPH}</span>
      </button>
    </li>
  );
}, sameRowProps);

const ITEM_STATUS_TEXT = { reserved: "chats.itemStatus.reserved", sold: "chats.itemStatus.sold", withdrawn: "chats.itemStatus.withdrawn" } as const;

/** A listing no longer simply for sale says so, small, beside its title. */
function ItemStatus({ status, t }: { status: ItemState; t: TFunction }) {
  const text = status in ITEM_STATUS_TEXT ? t(ITEM_STATUS_TEXT[status as keyof typeof ITEM_STATUS_TEXT]) : null;
  return text ? (
    <span className={`item-status status-${status} list-item-status`} data-testid="list-item-status">
      {text}
    </span>
  ) : null;
}

/** "Name: text · Sending" on one line: a long name is cut short first, the status never. */
function Preview({ parts, t }: { parts: PreviewParts; t: TFunction }) {
  const status = usePreviewStatus(parts.status);
  return (
    <span className="conversation-preview">
      {parts.who ? (
        <>
          <span className="preview-who">{parts.who}</span>
          <span className="preview-sep">{t("chats.preview.whoSeparator")}</span>
        </>
      ) : null}
      {/* Its own direction (a message in Hebrew reads right to left), isolated from the name before it. */}
      <span className="preview-text" dir="auto">
        {parts.text}
      </span>
      {status ? (
        <span className={`preview-status${parts.status === "failed" ? " is-failed" : ""}`}>
          {STATUS_SEPARATOR}
          {status}
        </span>
      ) : null}
    </span>
  );
}
