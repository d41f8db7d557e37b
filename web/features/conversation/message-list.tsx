import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { isKnownKind, UNSUPPORTED_MESSAGE_TEXT } from "../../api/lenient.js";
import type { OutboxRow, StoredMessage as Message, StoredSummary as Summary } from "../../db/records.js";
import { AlertIcon, CheckIcon, ClockIcon, DoubleCheckIcon, ReadIcon } from "../../lib/icons.js";
import { clockTime, dayKey, dayLabel } from "../../lib/time.js";
import { memberName } from "../conversations/summary-text.js";
import { deliveryStatus, STATUS_LABELS, type DeliveryStatus } from "./delivery-status.js";
import { MessageBody } from "./message-body.js";
import { systemText } from "./system-text.js";

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
}

type Row =
  | { type: "day"; key: string; label: string }
  | { type: "message"; key: string; message: Message; showSender: boolean }
  | { type: "pending"; key: string; row: OutboxRow };

/** Within this many pixels of the end counts as "at the bottom". */
const NEAR_BOTTOM_PX = 80;

/** Messages grouped by day; pending (outbox) ones after the rest, in the order typed. */
export function MessageList(props: MessageListProps) {
  const { me, summary, messages, pending, now } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const inner = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const previous = useRef<{ first: string | null; lastMessage: string | null; lastPending: string | null; height: number } | null>(null);
  const [newBelow, setNewBelow] = useState(false);

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
    const sent = lastPendingKey !== null && lastPendingKey !== prev.lastPending;
    if (!arrived && !sent) {
      if (prev.first !== null && firstKey !== prev.first) el.scrollTop += el.scrollHeight - prev.height;
      return;
    }
    if (sent || stickToBottom.current) {
      el.scrollTop = el.scrollHeight;
      stickToBottom.current = true;
      setNewBelow(false);
    } else if (arrived && lastMessageFromOthers) {
      setNewBelow(true);
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
    if (stickToBottom.current) setNewBelow(false);
  };

  const jumpToBottom = () => {
    const el = scroller.current;
    if (!el) return;
    const reduce = typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;
    el.scrollTo({ top: el.scrollHeight, behavior: reduce ? "auto" : "smooth" });
    stickToBottom.current = true;
    setNewBelow(false);
  };

  const myName = memberName(summary, me);

  return (
    <div className="messages-wrap">
      <div className="messages" ref={scroller} onScroll={onScroll} data-testid="message-list">
        <div className="messages-inner" ref={inner} role="log" aria-label="Messages" aria-live="polite">
          {props.canLoadEarlier ? (
            <div className="load-earlier">
              <button type="button" className="secondary small" onClick={props.onLoadEarlier} disabled={props.loadingEarlier}>
                {props.loadingEarlier ? "Loading…" : "Load earlier messages"}
              </button>
              {props.earlierError ? <p className="error small-text">{props.earlierError}</p> : null}
            </div>
          ) : null}
          {rows.length === 0 ? <p className="muted center pad">No messages yet. Say hello!</p> : null}
          {rows.map((row) => {
            switch (row.type) {
              case "day":
                return (
                  <div key={row.key} className="day-separator" role="separator">
                    <span>{row.label}</span>
                  </div>
                );
              case "message":
                return <MessageBubble key={row.key} message={row.message} me={me} myName={myName} summary={summary} showSender={row.showSender} />;
              case "pending":
                return <PendingBubble key={row.key} row={row.row} onRetry={props.onRetry} onDiscard={props.onDiscard} />;
            }
          })}
        </div>
      </div>
      {newBelow ? (
        <button type="button" className="new-below" onClick={jumpToBottom}>
          New messages <span aria-hidden="true">↓</span>
        </button>
      ) : null}
    </div>
  );
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

function MessageBubble({
  message,
  me,
  myName,
  summary,
  showSender,
}: {
  message: Message;
  me: string;
  myName: string;
  summary: Summary | undefined;
  showSender: boolean;
}) {
  if (message.kind === "system") {
    return (
      <div className="system-message" data-testid="message" data-seq={message.seq} data-kind="system">
        <span data-testid="message-text">{systemText(message.body, message.senderId, me, myName)}</span>
      </div>
    );
  }
  const mine = message.senderId === me;
  const status = mine ? deliveryStatus(message, summary, me) : undefined;
  // A kind from a newer server: a neutral placeholder, never its body (which may not be meant as text).
  const unsupported = !message.recalled && !isKnownKind(message.kind);
  return (
    <div
      className={`bubble-row ${mine ? "mine" : "theirs"}`}
      data-testid="message"
      data-seq={message.seq}
      data-status={status ?? "received"}
      data-mine={mine}
      data-kind={unsupported ? message.kind : undefined}
      data-client-msg-id={mine ? message.clientMsgId : undefined}
    >
      <div className={`bubble${message.recalled ? " recalled" : unsupported ? " unsupported" : ""}`}>
        {showSender ? <div className="sender">{memberName(summary, message.senderId)}</div> : null}
        <div className="body" data-testid="message-text">
          {message.recalled ? "Message recalled" : unsupported ? UNSUPPORTED_MESSAGE_TEXT : <MessageBody text={message.body} />}
        </div>
        <div className="meta">
          <time dateTime={new Date(message.at).toISOString()}>{clockTime(message.at)}</time>
          {status ? <StatusMark status={status} /> : null}
        </div>
      </div>
    </div>
  );
}

function PendingBubble({ row, onRetry, onDiscard }: { row: OutboxRow; onRetry(id: string): void; onDiscard(id: string): void }) {
  const status: DeliveryStatus = row.status;
  return (
    <div className="bubble-row mine" data-testid="message" data-status={status} data-mine="true" data-client-msg-id={row.clientMsgId}>
      <div className={`bubble pending is-${status}`}>
        <div className="body" data-testid="message-text">
          <MessageBody text={row.body} />
        </div>
        <div className="meta">
          <time dateTime={new Date(row.createdAt).toISOString()}>{clockTime(row.createdAt)}</time>
          <StatusMark status={status} />
        </div>
      </div>
      {status === "failed" ? (
        <div className="failed-actions">
          <span className="error small-text">{row.error ?? "Not sent."}</span>
          <button type="button" className="link" onClick={() => onRetry(row.clientMsgId)}>
            Retry
          </button>
          <button type="button" className="link danger" onClick={() => onDiscard(row.clientMsgId)}>
            Delete
          </button>
        </div>
      ) : null}
    </div>
  );
}

function StatusMark({ status }: { status: DeliveryStatus }) {
  const label = STATUS_LABELS[status];
  return (
    <span className={`status-mark is-${status}`} role="img" aria-label={label} title={label}>
      {status === "sending" ? <ClockIcon /> : status === "failed" ? <AlertIcon /> : status === "sent" ? <CheckIcon /> : status === "delivered" ? <DoubleCheckIcon /> : <ReadIcon />}
    </span>
  );
}
