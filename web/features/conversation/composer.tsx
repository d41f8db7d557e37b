import { memo, useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import { controlCharacter, hasVisibleText, isWellFormedText, MESSAGE_BODY_MAX, textProblem } from "../../../shared/protocol/index.js";
import { t as translate } from "../../i18n/index.js";
import { loadDraft, saveDraft } from "../../lib/drafts.js";
import { SendIcon } from "../../lib/icons.js";
import type { PhotoInput } from "../../db/outbox-photos.js";
import { usePhotoAttachments } from "../photos/photo-attachments.js";
import { ShareLocationButton } from "../presence/share-location.js";

/** Touch screens: focusing the box would pop the on-screen keyboard over the conversation. */
function coarsePointer(): boolean {
  return typeof matchMedia === "function" && matchMedia("(pointer: coarse)").matches;
}

/** The message a reply quotes, as the bar above the box shows it. */
export interface ReplyQuote {
  who: string;
  text: string;
}

export interface ComposerProps {
  conversationId: string;
  /** With `photos` (attached here), a photo message whose caption is `body` (may be ""). */
  onSend(body: string, photos?: PhotoInput[]): Promise<void>;
  disabled?: boolean;
  /** Replying to this message: a bar above the box (× or Escape removes it). */
  reply?: ReplyQuote | null;
  onCancelReply?(): void;
  /** Text put back ("Edit again" after a recall); `nonce` tells one request from the next. */
  prefill?: { text: string; nonce: number } | null;
  /** Moves focus into the box when it changes (Reply chosen). */
  focusKey?: number;
  /** The text changed to `text` (Presence: "is typing…" for the others, throttled by the caller). */
  onTyping?(text: string): void;
}

/**
 * Whether the composer would draw the same: every prop the same, the quote by what it shows (the parent builds
 * it again each time it draws). The conversation draws again several times for each message that arrives, and
 * its composer is left alone unless something here changed (docs/benchmarks.md, RENDERS).
 */
export function sameComposerProps(a: ComposerProps, b: ComposerProps): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof ComposerProps)[]);
  for (const key of keys) {
    const same = key === "reply" ? sameQuote(a.reply, b.reply) : a[key] === b[key];
    if (!same) return false;
  }
  return true;
}

function sameQuote(a: ReplyQuote | null | undefined, b: ReplyQuote | null | undefined): boolean {
  return a && b ? a.who === b.who && a.text === b.text : !a === !b;
}

/**
 * Enter sends; Shift+Enter (or Enter while an IME is composing) makes a newline.
 * Unsent text is kept per conversation across reloads (lib/drafts.ts).
 */
export const Composer = memo(function Composer({ conversationId, onSend, disabled, reply, onCancelReply, prefill, focusKey, onTyping }: ComposerProps) {
  const { t } = useTranslation();
  const [text, setText] = useState(() => loadDraft(conversationId));
  const [error, setError] = useState<string | null>(null);
  const ref = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  const body = normalise(text);
  // Only zero-width or other invisible characters: nothing to send (the server would refuse it).
  const blank = !hasVisibleText(body);
  const tooLong = body.length > MESSAGE_BODY_MAX;
  const photos = usePhotoAttachments({ disabled });
  const nothing = blank && photos.count === 0;

  const update = (value: string) => {
    setText(value);
    onTyping?.(value);
    saveDraft(conversationId, value);
    if (error) setError(null);
  };

  // Ready to type as soon as a conversation opens (by click or keyboard), caret after any draft.
  useEffect(() => {
    const el = ref.current;
    if (!el || el.disabled || coarsePointer()) return;
    el.focus({ preventScroll: true });
    el.setSelectionRange(el.value.length, el.value.length);
  }, [conversationId]);

  // "Edit again": the recalled text comes back, after what is typed already.
  useEffect(() => {
    if (!prefill) return;
    setText((current) => {
      const next = current.trim() ? `${current}\n${prefill.text}` : prefill.text;
      saveDraft(conversationId, next);
      return next;
    });
    ref.current?.focus();
  }, [prefill, conversationId]);

  useEffect(() => {
    if (focusKey) ref.current?.focus({ preventScroll: true });
  }, [focusKey]);

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (nothing || disabled) return;
    if (tooLong) {
      setError(t("conversation.composer.tooLong", { max: MESSAGE_BODY_MAX }));
      return;
    }
    // A pasted control character or broken text: said here, not left to fail in the outbox.
    const problem = blank ? null : bodyProblem(body);
    if (problem) {
      setError(problem);
      return;
    }
    const taken = photos.count > 0 ? photos.take() : null;
    update("");
    ref.current?.focus();
    try {
      await (taken ? onSend(blank ? "" : body, taken.photos) : onSend(body));
      taken?.settle(true);
    } catch (err) {
      // Only local storage can fail here: the outbox handles the network.
      taken?.settle(false);
      update(text);
      setError(err instanceof Error ? err.message : t("conversation.composer.couldNotSend"));
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Escape" && reply && !event.nativeEvent.isComposing) {
      event.preventDefault();
      onCancelReply?.();
      return;
    }
    if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
    // NOTE: Enter that confirms an IME composition (Chinese, Japanese…) must not send.
    if (event.nativeEvent.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    void submit();
  };

  return (
    <form className={`composer${photos.dropping ? " is-dropping" : ""}`} onSubmit={submit} {...photos.formHandlers}>
      {reply ? (
        <div className="reply-bar" data-testid="reply-bar">
          <div className="reply-bar-text">
            <span className="quote-who">{t("conversation.composer.replyingTo", { name: reply.who })}</span>
            <span className="quote-text" dir="auto">
              {reply.text}
            </span>
          </div>
          <button type="button" className="icon small" aria-label={t("conversation.composer.cancelReply")} onClick={() => (onCancelReply?.(), ref.current?.focus())}>
            {t("conversation.composer.cancelReplyMark")}
          </button>
        </div>
      ) : null}
      {photos.tray}
      {photos.button}
      <ShareLocationButton conversationId={conversationId} disabled={disabled} />
      <label htmlFor={`${id}-body`} className="visually-hidden">
        {t("conversation.composer.label")}
      </label>
      <textarea
        ref={ref}
        id={`${id}-body`}
        data-testid="composer"
        // A message in Hebrew or Arabic is typed and shown right to left (so is its bubble's text).
        dir="auto"
        rows={1}
        placeholder={photos.count > 0 ? t("conversation.composer.captionPlaceholder") : t("conversation.composer.placeholder")}
        value={text}
        onChange={(e) => update(e.target.value)}
        onKeyDown={onKeyDown}
        aria-invalid={tooLong || undefined}
        aria-describedby={error || tooLong ? `${id}-error` : undefined}
        enterKeyHint="send"
        disabled={disabled}
      />
      <button type="submit" className="send" aria-label={t("common.send")} data-testid="send-button" disabled={disabled || nothing || tooLong}>
        <SendIcon />
      </button>
      {photos.alert}
      {error || tooLong ? (
        <p className="error composer-error" id={`${id}-error`} role="alert">
          {error ?? t("conversation.composer.length", { length: body.length, max: MESSAGE_BODY_MAX })}
        </p>
      ) : null}
    </form>
  );
}, sameComposerProps);

/** Why this text can't be sent (a pasted control character, broken text), in the app's language; null when it can. */
function bodyProblem(body: string): string | null {
  const problem = textProblem(body);
  if (!problem) return null;
  if (!isWellFormedText(body)) return translate("conversation.composer.invalidText");
  const character = controlCharacter(body);
  if (character) return translate("conversation.composer.controlCharacter", { character });
  return translate("conversation.composer.problem", { problem });
}

/** Blank lines around a message are dropped; spaces inside it are kept. */
function normalise(text: string): string {
  return text.replace(/^\s*\n/, "").trimEnd();
}
