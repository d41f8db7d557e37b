import { useId, useState, type FormEvent } from "react";
import { describeError } from "../../api/errors.js";
import type { SessionManager } from "../../session-manager.js";

type Mode = "sign-in" | "sign-up";

export function AuthScreen({ manager, notice }: { manager: SessionManager; notice: string | null }) {
  const [mode, setMode] = useState<Mode>("sign-in");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const name = username.trim().toLowerCase();
      if (mode === "sign-in") await manager.signIn(name, password);
      else await manager.signUp(name, password, displayName.trim() || undefined);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  const switchTo = (next: Mode) => {
    setMode(next);
    setError(null);
  };

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
          <button type="button" role="tab" aria-selected={mode === "sign-up"} onClick={() => switchTo("sign-up")}>
            Create account
          </button>
        </div>
        {notice && !error ? <p className="notice">{notice}</p> : null}
        <form onSubmit={submit} className="form" noValidate aria-describedby={error ? `${id}-error` : undefined}>
          <label htmlFor={`${id}-username`}>Username</label>
          <input
            id={`${id}-username`}
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            autoCorrect="off"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
          />
          {mode === "sign-up" ? <p className="hint">3–32 characters: a–z, 0–9 and _</p> : null}
          {mode === "sign-up" ? (
            <>
              <label htmlFor={`${id}-display`}>Display name</label>
              <input
                id={`${id}-display`}
                name="displayName"
                autoComplete="nickname"
                value={displayName}
                onChange={(e) => setDisplayName(e.target.value)}
                maxLength={64}
              />
            </>
          ) : null}
          <label htmlFor={`${id}-password`}>Password</label>
          <input
            id={`${id}-password`}
            name="password"
            type="password"
            autoComplete={mode === "sign-in" ? "current-password" : "new-password"}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
          {mode === "sign-up" ? <p className="hint">At least 8 characters</p> : null}
          {error ? (
            <p className="error" role="alert" id={`${id}-error`}>
              {error}
            </p>
          ) : null}
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Please wait…" : mode === "sign-in" ? "Sign in" : "Create account"}
          </button>
        </form>
      </div>
    </main>
  );
}
