import { useState, type FormEvent } from "react";
import { CourierError } from "../../shared/protocol/index.js";
import { AdminApi, describeAdminError } from "./api.js";

/** What a refused sign-in says, by the server's answer. */
export function signInError(error: unknown): string {
  if (error instanceof CourierError) {
    if (error.code === "unauthorized") return "That admin token was refused.";
    if (error.code === "not_found") return "The admin API is off on this server: set ADMIN_TOKEN and restart it.";
    if (error.code === "rate_limited") return "Too many wrong tokens from this address. Wait a minute, then try again.";
  }
  return describeAdminError(error);
}

/**
 * The admin token form. The token is tried once (`GET /api/admin/dashboard`)
 * before it is kept, so a typo is said here, not by an empty dashboard.
 */
export function SignIn({ onAccepted }: { onAccepted: (token: string) => void }) {
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const typed = token.trim();
    if (!typed || busy) return;
    setBusy(true);
    setError(null);
    try {
      await new AdminApi(typed).dashboard();
      onAccepted(typed);
    } catch (err) {
      setError(signInError(err));
      setBusy(false);
    }
  };

  return (
    <section className="admin-card admin-signin" aria-labelledby="signin-title">
      <h2 id="signin-title">Sign in</h2>
      <p className="admin-about">The admin token is the server's ADMIN_TOKEN. It is kept in this tab only, until you sign out or close it.</p>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="admin-token">Admin token</label>
        <input
          id="admin-token"
          type="password"
          autoComplete="current-password"
          required
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-invalid={error !== null}
          aria-describedby={error ? "signin-error" : undefined}
        />
        <button type="submit" className="admin-button" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      {error && (
        <p id="signin-error" className="admin-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
