import { useLayoutEffect, useRef } from "react";
import { isKnownKind, UNSUPPORTED_MESSAGE_TEXT } from "../../api/lenient.js";
import type { OutboxRow, StoredMessage as Message, StoredSummary as Summary } from "../../db/records.js";
import { AlertIcon, CheckIcon, ClockIcon, DoubleCheckIcon } from "../../lib/icons.js";
import { clockTime, dayKey, dayLabel } from "../../lib/time.js";
import { memberName } from "../conversations/summary-text.js";
import { deliveryStatus, STATUS_LABELS, type DeliveryStatus } from "./delivery-status.js";

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

/** Messages grouped by day; pending (outbox) ones after the rest, in the order typed. */
export function MessageList(props: MessageListProps) {
  const { me, summary, messages, pending, now } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const previous = useRef<{ first: string | null; last: string | null; height: number }>({ first: null, last: null, height: 0 });

  const rows = buildRows(messages, pending, now, summary?.conversation.type === "group", me);
  const firstKey = messages[0]?.id ?? null;
  const lastKey = pending.at(-1)?.clientMsgId ?? messages.at(-1)?.id ?? null;
  const lastIsMine = pending.length > 0 || messages.at(-1)?.senderId === me;

  // Autoscroll: follow new messages when already at the bottom (or when I sent
  // one); keep the view still when earlier messages are prepended above.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const prev = previous.current;
    if (prev.first !== null && firstKey !== prev.first && lastKey === prev.last) {
      el.scrollTop += el.scrollHeight - prev.height;
    } else if (lastKey !== prev.last && (stickToBottom.current || lastIsMine || prev.last === null)) {
      el.scrollTop = el.scrollHeight;
    }
    previous.current = { first: firstKey, last: lastKey, height: el.scrollHeight };
  }, [firstKey, lastKey, lastIsMine, rows.length]);

  const onScroll = () => {
    const el = scroller.current;
    if (el) stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  };

  return (
    <div className="messages" ref={scroller} onScroll={onScroll} data-testid="message-list">
      <div className="messages-inner" role="log" aria-label="Messages" aria-live="polite">
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
              return <MessageBubble key={row.key} message={row.message} me={me} summary={summary} showSender={row.showSender} />;
            case "pending":
              return <PendingBubble key={row.key} row={row.row} onRetry={props.onRetry} onDiscard={props.onDiscard} />;
          }
        })}
      </div>
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

function MessageBubble({ message, me, summary, showSender }: { message: Message; me: string; summary: Summary | undefined; showSender: boolean }) {
  if (message.kind === "system") {
    return (
      <div className="system-message" data-testid="message" data-seq={message.seq} data-kind="system">
        <span data-testid="message-text">{message.body}</span>
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
          {message.recalled ? "Message recalled" : unsupported ? UNSUPPORTED_MESSAGE_TEXT : message.body}
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
          {row.body}
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
      {status === "sending" ? <ClockIcon /> : status === "failed" ? <AlertIcon /> : status === "sent" ? <CheckIcon /> : <DoubleCheckIcon />}
    </span>
  );
}


