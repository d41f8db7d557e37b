import { useState } from "react";
import { createPortal } from "react-dom";
import { useTranslation } from "react-i18next";
import { describeError } from "../../api/errors.js";
import type { DraftRow } from "../../db/records.js";
import { isEmpty, unsentIn } from "../../db/unsent.js";
import { allDrafts } from "../../lib/drafts.js";
import { useSession } from "../../session.js";
import { SignOutDialog } from "./sign-out-dialog.js";

/**
 * Signs out (also offline: see session-manager.ts); a failure is said next to
 * it. With messages still waiting to be sent, or drafts, it asks first.
 */
export function SignOutButton({ className }: { className: string }) {
  const { t } = useTranslation();
  const { db, signOut } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [asking, setAsking] = useState<DraftRow[] | null>(null);
  const onSignOut = async () => {
    setError(null);
    try {
      const unsent = await unsentIn(db, allDrafts());
      if (!isEmpty(unsent)) return setAsking(unsent.drafts);
      // Nothing to lose; should a message arrive meanwhile (another tab), sign-out keeps it anyway.
      await signOut();
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <>
      <button type="button" className={className} onClick={onSignOut}>
        {t("account.signOut.button")}
      </button>
      {error ? (
        <span className="error small-text" role="alert">
          {error}
        </span>
      ) : null}
      {/* In body: the header's styles must not reach it, nor a hidden parent hide it. */}
      {asking ? createPortal(<SignOutDialog drafts={asking} onClose={() => setAsking(null)} />, document.body) : null}
    </>
  );
}
