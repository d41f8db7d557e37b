import { useState } from "react";
import { describeError } from "../../api/errors.js";

/**
 * One request at a time from a button or form, with its failure in words
 * (403 "Only the group's creator or an admin…", 409, 429 "Too many… try again in 40 s").
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<unknown>): Promise<boolean> => {
    if (busy) return false;
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (err) {
      setError(describeError(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

/** The last failure of an action, said where it happened. */
export function ActionError({ error }: { error: string | null }) {
  return error ? (
    <p className="error small-text" role="alert">
      {error}
    </p>
  ) : null;
}
