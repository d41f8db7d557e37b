import { useId, useRef, useState, type FormEvent } from "react";
import type { SessionManager } from "../../session-manager.js";
import {
  checkSignIn,
  checkSignUp,
  explainAuthError,
  firstInvalid,
  normaliseUsername,
  PASSWORD_HINT,
  passwordProblem,
  usernameProblem,
  type Field,
  type FieldErrors,
} from "./validation.js";

type Mode = "sign-in" | "sign-up";

export function AuthScreen({ manager, notice }: { manager: SessionManager; notice: string | null }) {
  const [mode, setMode] = useState<Mode>("sign-in");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [fields, setFields] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const refs = { username: useRef<HTMLInputElement>(null), displayName: useRef<HTMLInputElement>(null), password: useRef<HTMLInputElement>(null) };

  const show = (next: { fields: FieldErrors; form: string | null }) => {
    setFields(next.fields);
    setError(next.form);
    const first = firstInvalid(next.fields);
    if (first) refs[first].current?.focus();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = mode === "sign-in" ? checkSignIn(username, password) : { fields: checkSignUp(username, password, displayName), form: null };
    if (checked.form || firstInvalid(checked.fields)) return show(checked);
    setBusy(true);
    setFields({});
    setError(null);
    try {
      const name = normaliseUsername(username);
      if (mode === "sign-in") await manager.signIn(name, password);
      else await manager.signUp(name, password, displayName.trim() || undefined);
    } catch (err) {
      show(explainAuthError(err, mode));
      setBusy(false);
    }
  };

  /** Once a field is marked, its text follows what is typed (and goes when it is right). */
  const recheck = (field: Field, value: string) => {
    if (fields[field] === undefined) return;
    let problem: string | null = null;
    if (mode === "sign-up" && field === "username") problem = usernameProblem(value);
    if (mode === "sign-up" && field === "password") problem = passwordProblem(value, username);
    if (mode === "sign-in" && !value.trim()) problem = "";
    const { [field]: _, ...rest } = fields;
    const next: FieldErrors = problem === null ? rest : { ...rest, [field]: problem };
    setFields(next);
    // "Enter your username and password." goes once both are there.
    if (mode === "sign-in" && Object.keys(next).length === 0) setError(null);
  };

  const switchTo = (next: Mode) => {
    setMode(next);
    setError(null);
    setFields({});
  };

  const signUp = mode === "sign-up";
  // The first marked field's text is the one alert; the others are read with their field.
  const alertField = error ? null : firstInvalid(fields);
  const describedBy = (field: Field, hint: boolean) =>
    [hint ? `${id}-${field}-hint` : null, fields[field] ? `${id}-${field}-error` : null, !fields[field] && fields[field] !== undefined && error ? `${id}-error` : null]
      .filter(Boolean)
      .join(" ") || undefined;
  const fieldError = (field: Field) =>
    fields[field] ? (
      <p className="field-error" id={`${id}-${field}-error`} role={alertField === field ? "alert" : undefined}>
        {fields[field]}
      </p>
    ) : null;

  return (
    <main className="auth">
      <div className="auth-card">
        <h1 className="brand-title">
          <span className="brand-mark" aria-hidden="true" />
          Courier
        </h1>
        <p className="muted">Chat with buyers, sellers and friends.</p>
        <div className="segmented" role="tablist" aria-label="Account">
          <button type="button" role="tab" aria-selected={mode === "sign-in"} onClick={() => switchTo("sign-in")}>
            Sign in
          </button>
          <button type="button" role="tab" aria-selected={signUp} onClick={() => switchTo("sign-up")}>
            Create account
          </button>
        </div>
        {notice && !error ? <p className="notice">{notice}</p> : null}
        <form onSubmit={submit} className="form" noValidate aria-describedby={error ? `${id}-error` : undefined}>
          <label htmlFor={`${id}-username`}>Username</label>
          <input
            ref={refs.username}
            id={`${id}-username`}
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            autoCorrect="off"
            spellCheck={false}
            value={username}
            onChange={(e) => {
              setUsername(e.target.value);
              recheck("username", e.target.value);
            }}
            aria-invalid={fields.username !== undefined || undefined}
            aria-describedby={describedBy("username", signUp)}
            required
          />
          {signUp ? (
            <p className="hint" id={`${id}-username-hint`}>
              3–32 characters: a–z, 0–9 and _
            </p>
          ) : null}
          {fieldError("username")}
          {signUp ? (
            <>
              <label htmlFor={`${id}-display`}>Display name</label>
              <input
                ref={refs.displayName}
                id={`${id}-display`}
                name="displayName"
                autoComplete="nickname"
                value={displayName}
                onChange={(e) => {
                  setDisplayName(e.target.value);
                  if (fields.displayName !== undefined) setFields(({ displayName: _, ...rest }) => rest);
                }}
                aria-invalid={fields.displayName !== undefined || undefined}
                aria-describedby={describedBy("displayName", false)}
                maxLength={64}
              />
              {fieldError("displayName")}
            </>
          ) : null}
          <label htmlFor={`${id}-password`}>Password</label>
          <input
            ref={refs.password}
            id={`${id}-password`}
            name="password"
            type="password"
            autoComplete={signUp ? "new-password" : "current-password"}
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              recheck("password", e.target.value);
            }}
            aria-invalid={fields.password !== undefined || undefined}
            aria-describedby={describedBy("password", signUp)}
            required
          />
          {signUp ? (
            <p className="hint" id={`${id}-password-hint`}>
              {PASSWORD_HINT}
            </p>
          ) : null}
          {fieldError("password")}
          {error ? (
            <p className="error" role="alert" id={`${id}-error`}>
              {error}
            </p>
          ) : null}
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Please wait…" : signUp ? "Create account" : "Sign in"}
          </button>
        </form>
      </div>
    </main>
  );
}
