import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import type { User } from "../../../shared/protocol/index.js";
import type { StoredSummary as Summary } from "../../db/records.js";
import { PersonAvatar } from "../../lib/avatar.js";
import { useDebounced } from "../../lib/hooks.js";
import { useSession } from "../../session.js";
import { useUi } from "../../stores/ui.js";
import { displayNameFor } from "../conversations/contacts.js";
import { canManage, canRemove } from "./membership.js";
import { ActionError, ConfirmedAction, useAction } from "./action.js";

/**
 * A group's members and what I may do about them (docs/groups.md): rename,
 * add and remove (the creator and admins), and leave. Every change comes
 * back through sync as the group's new summary.
 */
export function GroupPanel({ summary, onClose }: { summary: Summary; onClose(): void }) {
  const { t } = useTranslation();
  const id = useId();
  const manage = canManage(summary);
  const heading = useRef<HTMLHeadingElement>(null);
  // Opened from the header's button: focus moves into the panel (and back to the button on close).
  useEffect(() => heading.current?.focus(), []);
  return (
    <>
      {/* Narrow widths: the panel is a drawer over the messages; a tap beside it closes it. */}
      <div className="group-panel-backdrop" aria-hidden="true" onClick={onClose} />
      <section
        className="group-panel"
        aria-labelledby={`${id}-h`}
        data-testid="group-panel"
        onKeyDown={(e) => {
          if (e.key === "Escape") onClose();
        }}
      >
        <div className="group-panel-header">
          <h3 id={`${id}-h`} ref={heading} tabIndex={-1}>
            {t("group.panel.title")}
          </h3>
          <button type="button" className="secondary small" onClick={onClose}>
            {t("common.close")}
          </button>
        </div>
        {manage ? <RenameForm summary={summary} /> : null}
        <MemberList summary={summary} />
        {manage ? <AddMembers summary={summary} /> : null}
        <LeaveGroup summary={summary} />
      </section>
    </>
  );
}

function RenameForm({ summary }: { summary: Summary }) {
  const { t } = useTranslation();
  const { api } = useSession();
  const id = useId();
  const [title, setTitle] = useState(summary.conversation.title ?? "");
  const { busy, error, run } = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(() => api.renameGroup(summary.conversationId, title.trim()));
  };
  return (
    <form className="form group-rename" onSubmit={submit}>
      <label htmlFor={`${id}-t`}>{t("group.rename.label")}</label>
      <div className="row">
        <input id={`${id}-t`} value={title} onChange={(e) => setTitle(e.target.value)} maxLength={100} />
        <button type="submit" className="secondary small" aria-busy={busy} disabled={!title.trim() || title.trim() === summary.conversation.title}>
          {t("group.rename.submit")}
        </button>
      </div>
      <ActionError error={error} />
    </form>
  );
}

function MemberList({ summary }: { summary: Summary }) {
  const { t } = useTranslation();
  const { api, user } = useSession();
  const { busy, error, run } = useAction();
  const roster = new Map((summary.roster ?? []).map((r) => [r.userId, r]));
  return (
    <>
      <ul className="user-list" role="list" aria-label={t("group.members.label")}>
        {(summary.members ?? []).map((m) => {
          const entry = roster.get(m.id);
          const label = roleLabel(t, entry);
          const name = displayNameFor(m);
          return (
            <li key={m.id} className="user-row" data-testid="group-member" data-user-id={m.id}>
              <span>
                <PersonAvatar userId={m.id} name={name} size="small" />
                <strong>{m.id === user.id ? t("group.members.you", { name }) : name}</strong> <span className="muted">{t("group.members.username", { username: m.username })}</span>
                {label ? (
                  <>
                    {" "}
                    <span className="role-tag small-text">{label}</span>
                  </>
                ) : null}
              </span>
              {m.id !== user.id && canRemove(summary, entry?.role) ? (
                <button type="button" className="secondary small" aria-busy={busy} aria-label={t("group.members.remove", { name })} onClick={() => void run(() => api.removeMember(summary.conversationId, m.id))}>
                  {t("common.remove")}
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
      <ActionError error={error} />
    </>
  );
}

/** "Invited", "Creator", "Admin"; a plain member has no tag. */
function roleLabel(t: TFunction, entry: NonNullable<Summary["roster"]>[number] | undefined): string | null {
  if (entry?.pending) return t("group.members.invited");
  if (entry?.role === "creator") return t("group.members.creator");
  if (entry?.role === "admin") return t("group.members.admin");
  return null;
}

function AddMembers({ summary }: { summary: Summary }) {
  const { t } = useTranslation();
  const { api } = useSession();
  const id = useId();
  const [query, setQuery] = useState("");
  const q = useDebounced(query.trim(), 250);
  const [found, setFound] = useState<User[]>([]);
  const { busy, error, run } = useAction();
  const inGroup = new Set(summary.conversation.memberIds);

  useEffect(() => {
    if (!q) return setFound([]);
    let cancelled = false;
    api.searchUsers(q).then(
      (users) => !cancelled && setFound(users),
      () => !cancelled && setFound([]),
    );
    return () => {
      cancelled = true;
    };
  }, [api, q]);

  const candidates = found.filter((u) => !inGroup.has(u.id));
  return (
    <div className="form group-add">
      <label htmlFor={`${id}-q`}>{t("group.add.label")}</label>
      <input id={`${id}-q`} type="search" placeholder={t("group.add.placeholder")} value={query} autoComplete="off" autoCapitalize="none" onChange={(e) => setQuery(e.target.value)} />
      {candidates.length > 0 ? (
        <ul className="user-list" role="list" aria-label={t("group.add.candidates")}>
          {candidates.map((u) => (
            <li key={u.id} className="user-row" data-testid="add-candidate" data-user-id={u.id}>
              <span>
                <PersonAvatar userId={u.id} name={u.displayName} size="small" />
                <strong>{u.displayName}</strong> <span className="muted">{t("group.members.username", { username: u.username })}</span>
              </span>
              <button
                type="button"
                className="secondary small"
                aria-busy={busy}
                aria-label={t("group.add.addName", { name: u.displayName })}
                onClick={() => void run(() => api.addMembers(summary.conversationId, [u.id])).then((ok) => ok && setQuery(""))}
              >
                {t("group.add.add")}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <ActionError error={error} />
    </div>
  );
}

/** Leaving asks once more: the group's messages stop coming. */
function LeaveGroup({ summary }: { summary: Summary }) {
  const { t } = useTranslation();
  const { api } = useSession();
  const navigate = useUi((s) => s.navigate);
  const { busy, error, run } = useAction();
  const leave = async () => {
    const left = await run(() => api.leaveConversation(summary.conversationId));
    if (left) navigate({ name: "chats" });
    return left;
  };
  return (
    <ConfirmedAction
      className="group-leave"
      trigger={t("group.leave.trigger")}
      label={t("group.leave.label")}
      question={t("group.leave.question")}
      act={t("group.leave.act")}
      busy={busy}
      error={error}
      onConfirm={leave}
    />
  );
}
