import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { User } from "../../../shared/protocol/index.js";
import { describeError } from "../../api/errors.js";
import { useSession } from "../../session.js";
import { displayNameFor } from "../conversations/contacts.js";
import { ActionError } from "../group/action.js";
import { fetchBlocked } from "./blocks.js";
import { unblock } from "./safety-dialogs.js";

/** Settings → "Blocked people": everyone I block, each with Unblock; the list comes from the server (and refreshes this device's copy). */
export function BlockedPeople() {
  const { t } = useTranslation();
  const session = useSession();
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    fetchBlocked(session)
      .then((list) => live && setUsers(list))
      .catch((err: unknown) => live && setError(describeError(err)));
    return () => {
      live = false;
    };
  }, [session]);

  const run = async (user: User) => {
    setBusy(user.id);
    if (await unblock(session, user.id, displayNameFor(user))) setUsers((list) => list?.filter((u) => u.id !== user.id) ?? null);
    setBusy(null);
  };

  return (
    <section className="settings-section" aria-labelledby="settings-blocked" data-testid="blocked-people">
      <h3 id="settings-blocked">{t("safety.blocked.heading")}</h3>
      {users === null && !error ? <p className="muted">{t("common.loading")}</p> : null}
      {users?.length === 0 ? <p className="muted small-text">{t("safety.blocked.none")}</p> : null}
      {users && users.length > 0 ? (
        <ul className="blocked-list">
          {users.map((u) => (
            <li key={u.id} className="blocked-person">
              <span>
                <strong>{displayNameFor(u)}</strong> <span className="muted">{`@${u.username}`}</span>
              </span>
              <button type="button" className="secondary small" aria-busy={busy === u.id} onClick={() => void (busy || run(u))}>
                {t("safety.blocked.unblock")}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <ActionError error={error} />
    </section>
  );
}

/** Once per signed-in start: this device's copy of the list from the server (a `blocks` entry from before a snapshot is not replayed). */
export function useBlockListOnStart(): void {
  const session = useSession();
  useEffect(() => {
    fetchBlocked(session).catch(() => {
      // Offline: the copy held here (or the next blocks entry) serves until the next start.
    });
  }, [session]);
}
