import { memo, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type MouseEvent, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { isKnownKind, unsupportedMessageText } from "../../api/lenient.js";
import type { OutboxRow, ReplyRef, StoredMessage as Message, StoredSummary as Summary } from "../../db/records.js";
import { AlertIcon, CheckIcon, ClockIcon, DoubleCheckIcon, ReadIcon } from "../../lib/icons.js";
import { clockTime, dayKey, dayLabel } from "../../lib/time.js";
import { memberName } from "../conversations/summary-text.js";
import { deliveryStatus, type DeliveryStatus } from "./delivery-status.js";
import { useDeliveryLabel } from "../status/delivery-label.js";
import { MessageBody } from "./message-body.js";
import { ContactNote } from "../safety/safety-view.js";
import { pointBelow, PopupMenu, useMenuTrigger, type MenuItem, type Point } from "../../lib/menu.js";
import { systemText } from "./system-text.js";
import { PendingPhotos, PhotoGrid } from "../photos/photo-grid.js";
import { useRenderTelemetry } from "./render-telemetry.js";
import { sameBubble } from "./bubble-memo.js";

export interface MessageListProps {
  me: string;
  summary: Summary | undefined;
  messages: Message[];
  pending: OutboxRow[];
  now: number;
  canLoadEarlier: boolean;
  loadingEarlier: boolean;
  earlierError: string | null;
  onLoadEarlier(): void;
  onRetry(clientMsgId: string): void;
  onDiscard(clientMsgId: string): void;
  /** The message menu's items and the quotes; without them messages have no menu (e.g. a static render). */
  actions?: MessageActions;
}

/** A menu item; one with `confirm` asks once more (a second menu: the question, the act and Cancel). */
export type ActionItem = MenuItem & { confirm?: { question: string; act: string } };

/** What the conversation offers on a message (conversation-view.tsx builds it). */
export interface MessageActions {
  /** The menu of a message, or of a pending (outbox) one. */
  itemsFor(target: { message: Message } | { pending: OutboxRow }): ActionItem[];
  /** The messages quoted on screen, as held on this device (undefined: not loaded). */
  quoted: ReadonlyMap<string, Message | undefined>;
  onJump(ref: ReplyRef): void;
  /** "Edit again" under my recall, while this tab still holds its text. */
  editAgain(message: Message): (() => void) | null;
  /** Scroll to this message and flash it (a jump to a quote); `nonce` repeats a jump to the same one. */
  reveal: { id: string; nonce: number } | null;
}

type Row =
  | { type: "day"; key: string; label: string }
  | { type: "message"; key: string; message: Message; showSender: boolean }
  | { type: "pending"; key: string; row: OutboxRow };

/** About the height of a message's menu: less room than this below a message opens it above. */
const MENU_ROOM_PX = 220;

/** Within this many pixels of the end counts as "at the bottom". */
const NEAR_BOTTOM_PX = 80;

/** Messages grouped by day; pending (outbox) ones after the rest, in the order typed. */
export function MessageList(props: MessageListProps) {
  const { t } = useTranslation();
  const { me, summary, messages, pending, now } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const inner = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const previous = useRef<{ first: string | null; lastMessage: string | null; lastPending: string | null; height: number } | null>(null);
  /** Away from the bottom: "↓ Latest" shows, with how many messages from others arrived meanwhile. */
  const [away, setAway] = useState(false);
  const [newBelow, setNewBelow] = useState(0);
  const latestLabel = newBelow > 0 ? t("conversation.list.latestNew", { count: newBelow }) : t("conversation.list.latest");
  const [menu, setMenu] = useState<{ key: string; at: Point; label: string; items: MenuItem[]; note?: string } | null>(null);
  const [active, setActive] = useState<string | null>(null);
  const [flash, setFlash] = useState<string | null>(null);
  const actions = props.actions;
  useRenderTelemetry(messages, me);

  const rows = buildRows(messages, pending, now, summary?.conversation.type === "group", me);
  const firstKey = messages[0]?.id ?? null;
  const lastMessage = messages.at(-1);
  const lastMessageKey = lastMessage?.id ?? null;
  const lastPendingKey = pending.at(-1)?.clientMsgId ?? null;
  const lastMessageFromOthers = !!lastMessage && lastMessage.senderId !== me;

  // Autoscroll: follow new messages only when already near the bottom (or
  // when I just sent one); otherwise offer "New messages ↓". Keep the view
  // still when earlier messages are prepended above.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const prev = previous.current;
    previous.current = { first: firstKey, lastMessage: lastMessageKey, lastPending: lastPendingKey, height: el.scrollHeight };
    if (!prev) {
      el.scrollTop = el.scrollHeight;
      return;
    }
    const arrived = lastMessageKey !== null && lastMessageKey !== prev.lastMessage;
    // Mine arriving counts as sent: its server copy may be on screen before its outbox row ever was (a send is not held for that write).
    const sent = (lastPendingKey !== null && lastPendingKey !== prev.lastPending) || (arrived && !lastMessageFromOthers);
    if (!arrived && !sent) {
      if (prev.first !== null && firstKey !== prev.first) el.scrollTop += el.scrollHeight - prev.height;
      return;
    }
    if (sent || stickToBottom.current) {
      el.scrollTop = el.scrollHeight;
      stickToBottom.current = true;
      setAway(false);
      setNewBelow(0);
    } else if (arrived && lastMessageFromOthers) {
      setNewBelow((n) => n + 1);
    }
  }, [firstKey, lastMessageKey, lastPendingKey, lastMessageFromOthers, rows.length]);

  // Stay at the bottom while the pane or its content changes size (the
  // composer grows, the phone keyboard opens, a long message wraps again).
  useEffect(() => {
    const el = scroller.current;
    const content = inner.current;
    if (!el || !content || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (stickToBottom.current) el.scrollTop = el.scrollHeight;
      if (previous.current) previous.current.height = el.scrollHeight;
    });
    observer.observe(el);
    observer.observe(content);
    return () => observer.disconnect();
  }, []);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    setAway(!stickToBottom.current);
    if (stickToBottom.current) setNewBelow(0);
  };

  const jumpToBottom = () => {
    const el = scroller.current;
    if (!el) return;
    const reduce = typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;
    el.scrollTo({ top: el.scrollHeight, behavior: reduce ? "auto" : "smooth" });
    stickToBottom.current = true;
    setAway(false);
    setNewBelow(0);
  };

  // A jump to a quoted message: it is in the rows by now (the view loaded down to it).
  // Once only: a message sent or received afterwards must not scroll back up to it.
  const reveal = actions?.reveal;
  const revealed = useRef<{ id: string; nonce: number } | null>(null);
  useLayoutEffect(() => {
    if (!reveal || revealed.current === reveal) return;
    const el = inner.current?.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(reveal.id)}"]`);
    if (!el) return;
    revealed.current = reveal;
    stickToBottom.current = false;
    el.scrollIntoView({ block: "center" });
    el.focus({ preventScroll: true });
    setActive(reveal.id);
    setFlash(reveal.id);
  }, [reveal, rows.length]);

  // ── the message menu: the ⋯ button, right-click, long-press, keyboard ──
  const focusable = () => [...(inner.current?.querySelectorAll<HTMLElement>("[data-row-key]") ?? [])];
  const rowOf = (key: string) => focusable().find((el) => el.dataset.rowKey === key);
  const openMenu = (row: Row, at: Point) => {
    if (!actions || row.type === "day") return;
    acted.current = null;
    const items = actions.itemsFor(row.type === "pending" ? { pending: row.row } : { message: row.message }).map((item) => ({ ...item, onSelect: actedOn(row.key, item.onSelect) }));
    // An item that asks once more opens the question as a menu of its own, in the same place.
    const asked = (item: ActionItem): MenuItem =>
      item.confirm
        ? {
            ...item,
            onSelect: () =>
              setMenu({
                key: row.key,
                at,
                label: item.confirm!.question,
                note: item.confirm!.question,
                items: [
                  { label: item.confirm!.act, danger: true, onSelect: item.onSelect },
                  { label: t("common.cancel"), onSelect: () => rowOf(row.key)?.focus({ preventScroll: true }) },
                ],
              }),
          }
        : item;
    if (items.length > 0) setMenu({ key: row.key, at, label: t("conversation.actions.label"), items: items.map(asked) });
  };
  /**
   * An act on a message may take its row away (Delete for me) or redraw it
   * (a recall's tombstone): remember where it was, so focus can come back
   * to it, or to the next message (the previous, the composer) once it has.
   */
  const acted = useRef<{ el: HTMLElement | undefined; key: string; next: string | null; previous: string | null } | null>(null);
  const actedOn = (key: string, act: () => void) => () => {
    const all = focusable();
    const at = all.findIndex((el) => el.dataset.rowKey === key);
    acted.current = { el: all[at], key, next: all[at + 1]?.dataset.rowKey ?? null, previous: all[at - 1]?.dataset.rowKey ?? null };
    act();
  };
  useLayoutEffect(() => {
    const was = acted.current;
    const focused = document.activeElement;
    if (!was || (focused && focused !== document.body)) return;
    // The menu closed; the act is under way (its row still the same one).
    if (was.el?.isConnected) return was.el.focus({ preventScroll: true });
    acted.current = null;
    const to = [was.key, was.next, was.previous].map((key) => (key ? rowOf(key) : undefined)).find((el) => el);
    if (to) to.focus();
    else scroller.current?.closest(".conversation-main")?.querySelector<HTMLTextAreaElement>("textarea")?.focus();
  });
  const closeMenu = (restoreFocus: boolean) => {
    if (menu && restoreFocus) rowOf(menu.key)?.focus({ preventScroll: true });
    setMenu(null);
  };
  /**
   * Below the message (never under the finger that pressed it), across from
   * where it was pressed; near the bottom of the screen, above it (the menu
   * flips up from its top edge, lib/menu.tsx).
   */
  const below = (el: Element, at?: Point): Point => {
    const bubble = el.querySelector(".bubble, .tombstone") ?? el;
    const point = pointBelow(bubble);
    const y = point.y + MENU_ROOM_PX < window.innerHeight ? point.y + 4 : bubble.getBoundingClientRect().top - 4;
    return { x: at ? at.x : point.x, y };
  };
  const rowHandlers = (row: Row): RowHandlers => ({
    tabIndex: actions ? (row.key === (active ?? lastRowKey) ? 0 : -1) : undefined,
    onFocus: () => setActive(row.key),
    onKeyDown: (event) => {
      if (event.target !== event.currentTarget) return;
      const all = focusable();
      const at = all.findIndex((el) => el.dataset.rowKey === row.key);
      const to = (i: number) => all[Math.max(0, Math.min(all.length - 1, i))]?.focus();
      if (event.key === "ArrowDown") to(at + 1);
      else if (event.key === "ArrowUp") to(at - 1);
      else if (event.key === "Home") to(0);
      else if (event.key === "End") to(all.length - 1);
      else if (event.key === "Enter") openMenu(row, below(event.currentTarget));
      else if (isPrintable(event)) {
        // Typing while a message has focus (e.g. after a jump to it) is typing a message:
        // the key goes to the composer, and the Enter that follows sends it.
        const composer = event.currentTarget.closest(".conversation-main")?.querySelector<HTMLTextAreaElement>("textarea");
        composer?.focus();
        return;
      } else return;
      event.preventDefault();
    },
    open: (at, el) => openMenu(row, below(el, at)),
    onMenuButton: (event) => openMenu(row, below(event.currentTarget.closest("[data-row-key]") ?? event.currentTarget)),
    flash: flash === row.key,
    onFlashEnd: () => setFlash(null),
  });
  const lastRowKey = rows.findLast((r) => r.type !== "day")?.key ?? null;
  // A bubble React skipped (sameBubble) keeps the handlers it was drawn with: they call this render's.
  const current = useRef(new Map<string, RowHandlers>());
  current.current = new Map();
  const memoHandlers = (row: Row): RowHandlers => {
    const now = rowHandlers(row);
    current.current.set(row.key, now);
    const get = () => current.current.get(row.key) ?? now;
    return {
      tabIndex: now.tabIndex,
      flash: now.flash,
      onFocus: () => get().onFocus(),
      onKeyDown: (event) => get().onKeyDown(event),
      open: (at, el) => get().open(at, el),
      onMenuButton: (event) => get().onMenuButton(event),
      onFlashEnd: () => get().onFlashEnd(),
    };
  };

  const myName = memberName(summary, me);

  return (
    <div className="messages-wrap">
      <div className="messages" ref={scroller} onScroll={onScroll} data-testid="message-list">
        <div className="messages-inner" ref={inner} role="log" aria-label={t("conversation.list.label")} aria-live="polite">
          {props.canLoadEarlier ? (
            <div className="load-earlier">
              <button type="button" className="secondary small" onClick={props.onLoadEarlier} disabled={props.loadingEarlier}>
                {props.loadingEarlier ? t("common.loading") : t("conversation.list.loadEarlier")}
              </button>
              {props.earlierError ? <p className="error small-text">{props.earlierError}</p> : null}
            </div>
          ) : null}
          {rows.length === 0 && !props.canLoadEarlier ? <p className="muted center pad">{t("conversation.list.empty")}</p> : null}
          {rows.map((row) => {
            switch (row.type) {
              case "day":
                return (
                  <div key={row.key} className="day-separator" role="separator">
                    <span>{row.label}</span>
                  </div>
                );
              case "message":
                return (
                  <MessageBubble
                    key={row.key}
                    message={row.message}
                    me={me}
                    myName={myName}
                    summary={summary}
                    showSender={row.showSender}
                    actions={actions}
                    handlers={memoHandlers(row)}
                  />
                );
              case "pending":
                return <PendingBubble key={row.key} row={row.row} me={me} onRetry={props.onRetry} onDiscard={props.onDiscard} actions={actions} summary={summary} handlers={rowHandlers(row)} />;
            }
          })}
        </div>
      </div>
      {menu ? <PopupMenu key={menu.label} label={menu.label} items={menu.items} at={menu.at} note={menu.note} onClose={closeMenu} /> : null}
      {away || newBelow > 0 ? (
        <button type="button" className="new-below" onClick={jumpToBottom} data-testid="jump-latest" aria-label={latestLabel}>
          <span aria-hidden="true">{t("conversation.list.latestArrow")}</span> <span className="new-below-text">{latestLabel}</span>
          {/* On a phone the button is a round arrow beside the other person's messages: the count is its badge. */}
          {newBelow > 0 ? (
            <span className="new-below-count" aria-hidden="true">
              {newBelow}
            </span>
          ) : null}
        </button>
      ) : null}
    </div>
  );
}

/** A key that types a character (not a shortcut, not a movement). */
function isPrintable(event: KeyboardEvent): boolean {
  return event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey;
}

function buildRows(messages: Message[], pending: OutboxRow[], now: number, isGroup: boolean, me: string): Row[] {
  const rows: Row[] = [];
  let day: number | null = null;
  let lastSender: string | null = null;
  const addDay = (at: number) => {
    const key = dayKey(at);
    if (key === day) return;
    day = key;
    lastSender = null;
    rows.push({ type: "day", key: `day-${key}`, label: dayLabel(at, now) });
  };
  for (const message of messages) {
    addDay(message.at);
    const showSender = isGroup && message.kind !== "system" && message.senderId !== me && message.senderId !== lastSender;
    lastSender = message.kind === "system" ? null : message.senderId;
    rows.push({ type: "message", key: message.id, message, showSender });
  }
  // A pending row whose server copy is already listed is on its way out of the outbox.
  const listed = new Set(messages.filter((m) => m.senderId === me).map((m) => m.clientMsgId));
  for (const row of pending) {
    if (listed.has(row.clientMsgId)) continue;
    addDay(row.createdAt);
    rows.push({ type: "pending", key: row.clientMsgId, row });
  }
  return rows;
}

/** What makes a row a message the keyboard, the mouse and a finger can open the menu of. */
interface RowHandlers {
  tabIndex: number | undefined;
  onFocus(): void;
  /** Arrow keys, Home and End move between messages (one tab stop for the list); Enter opens the menu. */
  onKeyDown(event: KeyboardEvent<HTMLDivElement>): void;
  /** Right-click, long-press, the ContextMenu key or Shift+F10 (lib/menu.tsx). */
  open(at: Point, el: HTMLElement): void;
  onMenuButton(event: MouseEvent<HTMLButtonElement>): void;
  flash: boolean;
  onFlashEnd(): void;
}

type RowAttributes = Record<`data-${string}`, string | number | boolean | undefined> & { className: string; "aria-label"?: string };

/** One message's row: a div that opens the menu (without handlers, e.g. a static render, a plain div). */
function ActionRow({ rowKey, handlers, attributes, children }: { rowKey: string; handlers: RowHandlers | undefined; attributes: RowAttributes; children: ReactNode }) {
  const trigger = useMenuTrigger((at, el) => handlers?.open(at, el));
  if (!handlers) return <div {...attributes}>{children}</div>;
  return (
    <div
      {...attributes}
      className={`${attributes.className}${handlers.flash ? " flash" : ""}`}
      data-row-key={rowKey}
      tabIndex={handlers.tabIndex}
      onFocus={(event) => event.target === event.currentTarget && handlers.onFocus()}
      onKeyDown={(event) => {
        handlers.onKeyDown(event);
        if (!event.defaultPrevented && event.target === event.currentTarget) trigger.onKeyDown(event);
      }}
      onContextMenu={(event) => {
        // A link's own menu, or text being selected to copy, stays the browser's.
        if ((event.target as Element).closest("a") || !document.getSelection()?.isCollapsed) return;
        trigger.onContextMenu(event);
      }}
      onPointerDown={trigger.onPointerDown}
      onPointerMove={trigger.onPointerMove}
      onPointerUp={trigger.onPointerUp}
      onPointerCancel={trigger.onPointerCancel}
      onClickCapture={trigger.onClickCapture}
      onAnimationEnd={handlers.onFlashEnd}
    >
      {children}
    </div>
  );
}

/** The ⋯ button: shown on hover or focus on a computer; not a tab stop of its own (the message is). */
function MenuButton({ handlers }: { handlers: RowHandlers | undefined }) {
  const { t } = useTranslation();
  if (!handlers) return null;
  return (
    <button type="button" className="menu-button" tabIndex={-1} aria-label={t("conversation.actions.label")} aria-haspopup="menu" onClick={handlers.onMenuButton} data-testid="message-menu-button">
      {t("conversation.actions.menuMark")}
    </button>
  );
}

const MessageBubble = memo(function MessageBubble({
  message,
  me,
  myName,
  summary,
  showSender,
  actions,
  handlers,
}: {
  message: Message;
  me: string;
  myName: string;
  summary: Summary | undefined;
  showSender: boolean;
  actions?: MessageActions;
  handlers?: RowHandlers;
}) {
  const { t } = useTranslation();
  if (message.kind === "system") {
    return (
      <div className="system-message" data-testid="message" data-seq={message.seq} data-kind="system">
        <span data-testid="message-text">{systemText(message.body, message.senderId, me, myName, memberName(summary, message.senderId))}</span>
      </div>
    );
  }
  const mine = message.senderId === me;
  if (message.recalled) return <RecallTombstone message={message} mine={mine} summary={summary} actions={actions} handlers={handlers} />;
  const status = mine ? deliveryStatus(message, summary, me) : undefined;
  // A kind from a newer server: a neutral placeholder, never its body (which may not be meant as text).
  const unsupported = !isKnownKind(message.kind);
  return (
    <ActionRow
      rowKey={message.id}
      handlers={handlers}
      attributes={{
        className: `bubble-row ${mine ? "mine" : "theirs"}`,
        "data-testid": "message",
        "data-seq": message.seq,
        "data-message-id": message.id,
        "data-status": status ?? "received",
        "data-mine": mine,
        "data-kind": unsupported ? message.kind : undefined,
        "data-client-msg-id": mine ? message.clientMsgId : undefined,
      }}
    >
      <div className="bubble-line">
        <div className={`bubble${unsupported ? " unsupported" : ""}`}>
          {showSender ? <div className="sender">{memberName(summary, message.senderId)}</div> : null}
          {message.replyTo ? <Quote reply={message.replyTo} me={me} summary={summary} actions={actions} /> : null}
          {message.kind === "image" && message.media ? <PhotoGrid media={message.media} from={memberName(summary, message.senderId)} label={mine ? t("photos.grid.fromYou") : undefined} /> : null}
          <div className="body" data-testid="message-text" dir="auto">
            {unsupported ? unsupportedMessageText() : <MessageBody text={message.body} message={message} />}
          </div>
          <div className="meta">
            <time dateTime={new Date(message.at).toISOString()}>{clockTime(message.at)}</time>
            {status ? <StatusMark status={status} /> : null}
          </div>
        </div>
        <MenuButton handlers={handlers} />
      </div>
      <ContactNote message={message} me={me} />
    </ActionRow>
  );
}, sameBubble);

/** In place of a recalled message, for everyone: who recalled it, never what it said. */
function RecallTombstone({ message, mine, summary, actions, handlers }: { message: Message; mine: boolean; summary: Summary | undefined; actions?: MessageActions; handlers?: RowHandlers }) {
  const { t } = useTranslation();
  const editAgain = mine ? actions?.editAgain(message) : null;
  return (
    <ActionRow
      rowKey={message.id}
      handlers={handlers}
      attributes={{ className: "tombstone-row", "data-testid": "message", "data-seq": message.seq, "data-message-id": message.id, "data-recalled": true, "data-mine": mine }}
    >
      <span className="tombstone" data-testid="message-text">
        {mine ? t("conversation.list.recalledByYou") : t("conversation.list.recalledBy", { name: memberName(summary, message.senderId) })}
      </span>
      {editAgain ? (
        <button type="button" className="link small-text" onClick={editAgain} data-testid="edit-again">
          {t("conversation.list.editAgain")}
        </button>
      ) : null}
    </ActionRow>
  );
}

/** A reply's quote: who and the first line, from what this device holds; a tap jumps to it. */
function Quote({ reply, me, summary, actions }: { reply: ReplyRef; me: string; summary: Summary | undefined; actions?: MessageActions }) {
  const { t } = useTranslation();
  const quoted = actions?.quoted.get(reply.id);
  let who: string | null = null;
  let text: string;
  if (!quoted || quoted.hidden) {
    text = quoted ? t("conversation.quote.deleted") : t("conversation.quote.notLoaded");
  } else {
    who = quoted.senderId === me ? t("common.you") : memberName(summary, quoted.senderId);
    text = quoted.recalled ? t("conversation.quote.recalled") : !isKnownKind(quoted.kind) ? unsupportedMessageText() : quoted.kind === "system" ? t("conversation.quote.system") : firstLine(quoted.body);
  }
  const content: ReactNode = (
    <>
      {who ? <span className="quote-who">{who}</span> : null}
      <span className={`quote-text${quoted && !quoted.recalled && !quoted.hidden ? "" : " muted-quote"}`} dir="auto">
        {text}
      </span>
    </>
  );
  if (!actions || quoted?.hidden) return <div className="quote">{content}</div>;
  return (
    <button type="button" className="quote" tabIndex={-1} onClick={() => actions.onJump(reply)} data-testid="quote" aria-label={who ? t("conversation.quote.goToWho", { who, text }) : t("conversation.quote.goTo", { text })}>
      {content}
    </button>
  );
}

export function firstLine(text: string): string {
  const line = text.trimStart().split("\n", 1)[0] ?? "";
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

function PendingBubble({
  row,
  me,
  onRetry,
  onDiscard,
  actions,
  summary,
  handlers,
}: {
  row: OutboxRow;
  me: string;
  onRetry(id: string): void;
  onDiscard(id: string): void;
  actions?: MessageActions;
  summary: Summary | undefined;
  handlers?: RowHandlers;
}) {
  const { t } = useTranslation();
  const status: DeliveryStatus = row.status;
  return (
    <ActionRow
      rowKey={row.clientMsgId}
      handlers={handlers}
      attributes={{ className: "bubble-row mine", "data-testid": "message", "data-status": status, "data-mine": true, "data-client-msg-id": row.clientMsgId }}
    >
      <div className="bubble-line">
        <div className={`bubble pending is-${status}`}>
          {row.replyTo ? <Quote reply={row.replyTo} me={me} summary={summary} actions={actions} /> : null}
          {row.kind === "image" ? <PendingPhotos row={row} /> : null}
          <div className="body" data-testid="message-text" dir="auto">
            <MessageBody text={row.body} />
          </div>
          <div className="meta">
            <time dateTime={new Date(row.createdAt).toISOString()}>{clockTime(row.createdAt)}</time>
            <StatusMark status={status} />
          </div>
        </div>
        <MenuButton handlers={handlers} />
      </div>
      {status === "failed" ? (
        <div className="failed-actions">
          <span className="error small-text">{row.error ?? t("conversation.list.notSent")}</span>
          <button type="button" className="link" onClick={() => onRetry(row.clientMsgId)}>
            {t("common.retry")}
          </button>
          <button type="button" className="link danger" onClick={() => onDiscard(row.clientMsgId)}>
            {t("common.delete")}
          </button>
        </div>
      ) : null}
    </ActionRow>
  );
}

function StatusMark({ status }: { status: DeliveryStatus }) {
  const label = useDeliveryLabel(status);
  return (
    <span className={`status-mark is-${status}`} role="img" aria-label={label} title={label}>
      {status === "sending" ? <ClockIcon /> : status === "failed" ? <AlertIcon /> : status === "sent" ? <CheckIcon /> : status === "delivered" ? <DoubleCheckIcon /> : <ReadIcon />}
    </span>
  );
}
