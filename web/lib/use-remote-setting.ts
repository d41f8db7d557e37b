import { useEffect, useState } from "react";
import { describeError } from "../api/errors.js";
import type { Api } from "../api/client.js";

/**
 * An account setting kept on the server (a switch in Settings): read once,
 * then saved on each change; what the server answers is what shows. `load`
 * and `save` should be module-level functions (stable across renders).
 */
export function useRemoteSetting<T>(api: Api, load: (api: Api) => Promise<T>, save: (api: Api, next: T) => Promise<T>) {
  const [value, setValue] = useState<T | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    load(api).then(
      (v) => live && setValue(v),
      (err: unknown) => live && setError(describeError(err)),
    );
    return () => {
      live = false;
    };
  }, [api, load]);

  const change = async (next: T) => {
    setBusy(true);
    setError(null);
    try {
      setValue(await save(api, next));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return { value, busy, error, change };
}
