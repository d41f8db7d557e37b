import { useState, type FormEvent, type ReactNode } from "react";

type Lookup<T> = { name: "idle" } | { name: "busy" } | { name: "found"; result: T } | { name: "failed"; message: string };

interface Props<T> {
  inputId: string;
  label: string;
  button: string;
  /** Asks the server for one typed value (trimmed, never empty). */
  run: (value: string) => Promise<T>;
  /** What a failed lookup says to the operator. */
  failure: (error: unknown) => string;
  children: (result: T) => ReactNode;
}

/** One input and a button that looks something up: busy, the answer (`children`), or the failure in words. */
export function LookupForm<T>({ inputId, label, button, run, failure, children }: Props<T>) {
  const [value, setValue] = useState("");
  const [lookup, setLookup] = useState<Lookup<T>>({ name: "idle" });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const typed = value.trim();
    if (!typed) return;
    setLookup({ name: "busy" });
    try {
      setLookup({ name: "found", result: await run(typed) });
    } catch (error) {
      setLookup({ name: "failed", message: failure(error) });
    }
  };

  return (
    <>
      <form className="admin-inline-form" onSubmit={(e) => void submit(e)}>
        <label htmlFor={inputId}>{label}</label>
        <input id={inputId} value={value} onChange={(e) => setValue(e.target.value)} required autoComplete="off" spellCheck={false} />
        <button type="submit" className="admin-button" disabled={lookup.name === "busy"}>
          {button}
        </button>
      </form>
      {lookup.name === "busy" && <p className="admin-note">Looking up…</p>}
      {lookup.name === "failed" && (
        <p className="admin-error" role="alert">
          {lookup.message}
        </p>
      )}
      {lookup.name === "found" && children(lookup.result)}
    </>
  );
}
