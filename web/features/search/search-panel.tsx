import { useLiveQuery } from "dexie-react-hooks";
import { Fragment, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { StoredSummary } from "../../db/records.js";
import { PersonAvatar } from "../../lib/avatar.js";
import { useNow } from "../../lib/hooks.js";
import { relativeTime } from "../../lib/time.js";
import { useSearchIndexing } from "../../search/backfill.js";
import { highlight } from "../../search/highlight.js";
import type { SearchHit } from "../../search/merge.js";
import { useSession } from "../../session.js";
import { useUi } from "../../stores/ui.js";
import { chatName, memberName } from "../conversations/summary-text.js";
import { SearchIcon } from "./search-icon.js";
import { useSearch, type SearchView } from "./use-search.js";

export interface SearchScope {
  /** Search inside this conversation only; all conversations when absent. */
  conversationId?: string;
  /** Its name, for the field's label. */
  title?: string;
}

/**
 * The search screen: a modal <dialog> (the page behind is inert, Escape is
 * its cancel event), the whole screen on a phone. The field is a combobox
 * over the results: ↑/↓ move through them, Enter opens one at its message.
 */
export function SearchPanel({ scope, onClose }: { scope: SearchScope; onClose(): void }) {
  const { t } = useTranslation();
  const [input, setInput] = useState("");
  const [active, setActive] = useState(-1);
  const dialog = useRef<HTMLDialogElement>(null);
  const field = useRef<HTMLInputElement>(null);
  const id = useId();
  const view = useSearch(input, scope.conversationId);
  const jumpToMessage = useUi((s) => s.jumpToMessage);
  const { db, user } = useSession();
  const now = useNow();
  // Names for the rows: every stored summary by conversation id, read once for all of them.
  const summaries = useLiveQuery(async () => new Map((await db.conversations.toArray()).map((s) => [s.conversationId, s])), [db]);
  const hits = view.hits ?? [];

  useEffect(() => {
    if (!dialog.current?.open) dialog.current?.showModal();
    field.current?.focus();
  }, []);
  // A new list starts with nothing chosen.
  useEffect(() => setActive(-1), [view.query]);
  useEffect(() => {
    if (active >= 0) document.getElementById(`${id}-r${active}`)?.scrollIntoView({ block: "nearest" });
  }, [active, id]);

  // Out of the modal state first, so the page is no longer inert when the opener takes focus back.
  const close = () => {
    dialog.current?.close();
    onClose();
  };
  const open = (hit: SearchHit) => {
    close();
    jumpToMessage(hit.message.conversationId, hit.message.id, hit.message.seq);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (hits.length === 0) return;
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((i) => (i + step + hits.length) % hits.length);
    } else if (e.key === "Escape") {
      // NOTE: a search field takes Escape to clear itself, before the dialog's cancel event; here it closes.
      e.preventDefault();
      close();
    } else if (e.key === "Enter") {
      e.preventDefault();
      const hit = hits[active] ?? (hits.length === 1 ? hits[0] : undefined);
      if (hit) open(hit);
    }
  };

  const label = scope.title ? t("search.searchIn", { title: scope.title }) : t("search.button");
  return (
    <dialog
      ref={dialog}
      className="search-dialog"
      aria-label={label}
      data-testid="search-dialog"
      onCancel={(e) => (e.preventDefault(), close())}
      // A click on the backdrop (the dialog element itself, outside its box) closes it.
      onClick={(e) => e.target === dialog.current && close()}
    >
      <div className="search-head">
        <span className="search-field">
          <SearchIcon />
          <input
            ref={field}
            type="search"
            role="combobox"
            aria-label={label}
            aria-expanded={hits.length > 0}
            aria-controls={`${id}-results`}
            aria-autocomplete="list"
            aria-activedescendant={active >= 0 ? `${id}-r${active}` : undefined}
            placeholder={label}
            value={input}
            maxLength={200}
            enterKeyHint="search"
            onChange={(e) => setInput(e.target.value)}
            onKeyDown={onKeyDown}
            data-testid="search-input"
          />
        </span>
        <button type="button" className="secondary small" onClick={close}>
          {t("common.close")}
        </button>
      </div>
      <SearchStatus view={view} />
      <ul className="search-results" id={`${id}-results`} role="listbox" aria-label={t("search.results")}>
        {hits.map((hit, i) => (
          <ResultRow
            key={hit.message.id}
            id={`${id}-r${i}`}
            hit={hit}
            summary={summaries?.get(hit.message.conversationId)}
            me={user.id}
            query={view.query}
            now={now}
            global={!scope.conversationId}
            active={i === active}
            onOpen={() => open(hit)}
          />
        ))}
      </ul>
      {view.canLoadMore && view.server.status !== "loading" ? (
        <div className="search-more">
          <button type="button" className="secondary small" onClick={view.loadMore} data-testid="search-load-more">
            {hits.length === 0 ? t("search.searchOlder") : t("search.loadMore")}
          </button>
        </div>
      ) : null}
    </dialog>
  );
}

/** What the search is doing: the hint, the spinner while the server works, offline, failures, nothing found. */
function SearchStatus({ view }: { view: SearchView }) {
  const { t } = useTranslation();
  const { query, hits, server, offline } = view;
  const { user } = useSession();
  // Rows from before the index existed are still being indexed here: the server's results cover them meanwhile.
  const indexing = useSearchIndexing((s) => s.running[user.id] ?? false);
  let content: ReactNode = null;
  if (query === "") content = <p className="muted">{t("search.hint")}</p>;
  else if (offline) content = <p className="muted">{t("search.offline")}</p>;
  else if (server.status === "loading")
    content = (
      <p className="muted search-busy" aria-busy="true">
        <span className="spinner" aria-hidden="true" />
        {t("search.busy")}
      </p>
    );
  else if (server.status === "failed")
    content = (
      <p className="error">
        {t("search.failed", { error: server.error })}{" "}
        <button type="button" className="link" onClick={view.retry}>
          {t("common.tryAgain")}
        </button>
      </p>
    );
  // A server page may be short, even empty, with older history still to read (`before`): not "no results" yet.
  const olderToSearch = !offline && server.status === "done" && !!server.before;
  const nothing = query !== "" && hits?.length === 0 && server.status !== "loading" && !olderToSearch;
  return (
    <div className="search-status" role="status" aria-live="polite" data-testid="search-status">
      {content}
      {indexing && query !== "" ? <p className="muted" data-testid="search-indexing">{t("search.indexing")}</p> : null}
      {nothing ? <p className="search-empty">{t("search.noMatch", { query })}</p> : null}
      {query !== "" && hits?.length === 0 && olderToSearch ? <p className="search-empty">{t("search.nothingRecent")}</p> : null}
    </div>
  );
}

interface RowProps {
  id: string;
  hit: SearchHit;
  /** Its conversation, for names (undefined while they are read). */
  summary: StoredSummary | undefined;
  me: string;
  query: string;
  now: number;
  /** Global search names the conversation; search inside one does not. */
  global: boolean;
  active: boolean;
  onOpen(): void;
}

function ResultRow({ id, hit, summary, me, query, now, global, active, onOpen }: RowProps) {
  const { t } = useTranslation();
  const { message } = hit;
  const sender = message.senderId === me ? t("common.you") : memberName(summary, message.senderId);
  const where = global ? (summary ? chatName(summary, me) : t("chats.untitled.conversation")) : null;
  const pieces = useMemo(() => highlight(message.body, query), [message.body, query]);
  return (
    <li
      id={id}
      role="option"
      aria-selected={active}
      className="search-result"
      data-testid="search-result"
      data-source={hit.source}
      data-message-id={message.id}
      onClick={onOpen}
      // The field keeps focus: ↑/↓ and Enter work from there; a tap or click opens at once.
      onMouseDown={(e) => e.preventDefault()}
    >
      <span className="search-result-top">
        <PersonAvatar userId={message.senderId} name={memberName(summary, message.senderId)} size="tiny" />
        <span className="search-result-where">
          {where ? <span className="search-result-conversation">{where}</span> : null}
          {/* A direct chat is named after the other person: their name once is enough. */}
          {sender !== where ? <span className="search-result-sender">{where ? ` · ${sender}` : sender}</span> : null}
        </span>
        <time dateTime={new Date(message.at).toISOString()}>{relativeTime(message.at, now)}</time>
      </span>
      <span className="search-result-text" dir="auto">
        {pieces.map((piece, i) => (piece.match ? <mark key={i}>{piece.text}</mark> : <Fragment key={i}>{piece.text}</Fragment>))}
      </span>
      {hit.source === "device" ? <span className="search-result-source">{t("search.onDevice")}</span> : null}
    </li>
  );
}
