import { useState } from "react";
import { describeError } from "../../api/errors.js";
import { useSession } from "../../session.js";

/** Signs out (also offline: see session-manager.ts); a failure is said next to it. */
export function SignOutButton({ className }: { className: string }) {
  const { signOut } = useSession();
  const [error, setError] = useState<string | null>(null);
  const onSignOut = async () => {
    setError(null);
    try {
      await signOut();
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <>
      <button type="button" className={className} onClick={onSignOut}>
        Sign out
      </button>
      {error ? (
        <span className="error small-text" role="alert">
          {error}
        </span>
      ) : null}
    </>
  );
}
