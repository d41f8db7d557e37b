import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Trans, useTranslation } from "react-i18next";
import type { CreateConversation, User } from "../../../shared/protocol/index.js";
import { describeError } from "../../api/errors.js";
import { PersonAvatar } from "../../lib/avatar.js";
import { useDebounced } from "../../lib/hooks.js";
import { BackIcon } from "../../lib/icons.js";
import { useSession } from "../../session.js";
import { useUi } from "../../stores/ui.js";

/** Where the group form's errors are said (people's rows use their user id). */
const GROUP_FORM = "group";
/** The chip's remove glyph, the same in every language. */
const REMOVE_GLYPH = "×";

type Search = { state: "idle" } | { state: "loading" } | { state: "error"; message: string } | { state: "ready"; users: User[] };

/** A person's name inside a translated sentence (<Trans>), as written: no HTML escaping or parsing. */
function Text({ value }: { value: string }) {
  return value;
}

/** Find people: message one directly, or tick several and name a group. */
export function NewChatView() {
  const { t } = useTranslation();
  const { api, user, client } = useSession();
  const navigate = useUi((s) => s.navigate);
  const id = useId();
  const [query, setQuery] = useState("");
  const q = useDebounced(query.trim(), 250);
  const [search, setSearch] = useState<Search>({ state: "idle" });
  const [picked, setPicked] = useState<User[]>([]);
  const [title, setTitle] = useState("");
  const [busy, setBusy] = useState(false);
  // Said beside the action that failed: a person's row (Message), or the group form.
  const [error, setError] = useState<{ at: string; message: string } | null>(null);

  useEffect(() => {
    if (!q) {
      setSearch({ state: "idle" });
      return;
    }
    let cancelled = false;
    setSearch({ state: "loading" });
    api.searchUsers(q).then(
      (users) => !cancelled && setSearch({ state: "ready", users: users.filter((u) => u.id !== user.id) }),
      (err) => !cancelled && setSearch({ state: "error", message: describeError(err) }),
    );
    return () => {
      cancelled = true;
    };
  }, [api, q, user.id]);

  const open = async (req: CreateConversation, at: string) => {
    setBusy(true);
    setError(null);
    try {
      const opened = await api.createConversation(req);
      await client.adopt(opened).catch(() => {});
      navigate({ name: "conversation", id: opened.conversation.id });
    } catch (err) {
      setError({ at, message: describeError(err) });
      setBusy(false);
    }
  };
  const errorAt = (at: string) =>
    error?.at === at ? (
      <p className="error small-text" role="alert">
        {error.message}
      </p>
    ) : null;

  const searchRef = useRef<HTMLInputElement>(null);
  const formRef = useRef<HTMLFormElement>(null);

  const toggle = (u: User) => setPicked((list) => (list.some((p) => p.id === u.id) ? list.filter((p) => p.id !== u.id) : [...list, u]));

  /** Takes someone off the group; focus goes to the chip now in that place, else back to the search. */
  const unpick = (u: User, index: number) => {
    toggle(u);
    requestAnimationFrame(() => {
      const buttons = formRef.current?.querySelectorAll<HTMLButtonElement>(".chip-remove");
      const next = buttons && buttons.length > 0 ? buttons[Math.min(index, buttons.length - 1)] : null;
      (next ?? searchRef.current)?.focus();
    });
  };

  const createGroup = (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) return setError({ at: GROUP_FORM, message: t("newChat.nameTheGroup") });
    void open({ type: "group", title: title.trim(), memberIds: picked.map((p) => p.id) }, GROUP_FORM);
  };

  // Escape clears the search first, then leaves, unless a group is being put together (its back button still leaves).
  const onKeyDown = (event: KeyboardEvent) => {
    // Escape while an input method composes (pinyin) cancels the composition, nothing more.
    if (event.key !== "Escape" || event.defaultPrevented || event.nativeEvent.isComposing || event.keyCode === 229) return;
    if (query) {
      setQuery("");
      // The results go with the query: focus stays where the next Escape is heard.
      searchRef.current?.focus();
    } else if (picked.length === 0) navigate({ name: "chats" });
  };

  return (
    <section className="page" aria-labelledby={`${id}-title`} onKeyDown={onKeyDown}>
      <div className="page-header">
        <button type="button" className="icon back" aria-label={t("newChat.back")} onClick={() => navigate({ name: "chats" })}>
          <BackIcon />
        </button>
        <h2 id={`${id}-title`}>{t("newChat.title")}</h2>
      </div>
      <div className="pad">
        <label htmlFor={`${id}-q`}>{t("newChat.findPeople")}</label>
        <input
          ref={searchRef}
          id={`${id}-q`}
          type="search"
          placeholder={t("newChat.placeholder")}
          value={query}
          autoComplete="off"
          autoCapitalize="none"
          onChange={(e) => setQuery(e.target.value)}
          autoFocus
        />
        {search.state === "loading" ? <p className="muted">{t("newChat.searching")}</p> : null}
        {search.state === "error" ? <p className="error">{search.message}</p> : null}
        {search.state === "ready" && search.users.length === 0 ? <p className="muted">{t("newChat.noOne", { query: q })}</p> : null}
        {search.state === "ready" && search.users.length > 0 ? (
          <>
            <p className="hint" id={`${id}-how`}>
              {t("newChat.how")}
            </p>
            <ul className="user-list" role="list" aria-label={t("newChat.people")} aria-describedby={`${id}-how`}>
              {search.users.map((u) => {
                const isPicked = picked.some((p) => p.id === u.id);
                const name = u.displayName || u.username;
                return (
                  <li key={u.id} className="user-row new-chat-row" data-testid="user-result" data-user-id={u.id}>
                    <span className="user-name">
                      <PersonAvatar userId={u.id} name={name} size="small" />
                      <strong>{name}</strong> <span className="muted">{t("newChat.username", { username: u.username })}</span>
                    </span>
                    <span className="user-actions">
                      {/* The visible words start the checkbox's name: "Add Bob to group". */}
                      <label className="user-pick">
                        <input type="checkbox" checked={isPicked} onChange={() => toggle(u)} />
                        <span>
                          <Trans i18nKey="newChat.addToGroup" components={{ hidden: <span className="visually-hidden" />, name: <Text value={name} /> }} />
                        </span>
                      </label>
                      <button type="button" className="secondary small" disabled={busy} onClick={() => open({ type: "direct", peerId: u.id }, u.id)} aria-label={t("newChat.messageName", { name })}>
                        {t("newChat.message")}
                      </button>
                    </span>
                    {errorAt(u.id)}
                  </li>
                );
              })}
            </ul>
          </>
        ) : null}
        {picked.length > 0 ? (
          <form ref={formRef} className="group-form form" onSubmit={createGroup} aria-labelledby={`${id}-gh`}>
            <p id={`${id}-gh`}>{t("newChat.groupWith", { count: picked.length })}</p>
            {/* Picked people stay here while the search changes; each can be taken off. */}
            <ul className="chips" role="list" aria-label={t("newChat.peopleInGroup")}>
              {picked.map((p, index) => (
                <li key={p.id} className="chip" data-user-id={p.id}>
                  <span className="chip-name" title={`${p.displayName} @${p.username}`}>
                    {p.displayName || p.username}
                  </span>
                  <button type="button" className="chip-remove" aria-label={t("newChat.remove", { name: p.displayName || p.username })} onClick={() => unpick(p, index)}>
                    <span aria-hidden="true">{REMOVE_GLYPH}</span>
                  </button>
                </li>
              ))}
            </ul>
            <label htmlFor={`${id}-gt`}>{t("newChat.groupName")}</label>
            <input id={`${id}-gt`} value={title} onChange={(e) => setTitle(e.target.value)} maxLength={100} />
            <button type="submit" className="primary" disabled={busy}>
              {t("newChat.createGroup")}
            </button>
            {errorAt(GROUP_FORM)}
          </form>
        ) : null}
      </div>
    </section>
  );
}
