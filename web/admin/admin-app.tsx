import { useMemo, useState } from "react";
import { AdminApi } from "./api.js";
import { Dashboard } from "./dashboard.js";
import { DeviceDiagnostics } from "./diagnostics.js";
import { SignIn } from "./sign-in.js";
import type { TokenStore } from "./token.js";
import { TraceLookup } from "./trace-lookup.js";

/** The admin page: the token form until a token is accepted, then the dashboard, the trace lookup and device diagnostics. */
export function AdminApp({ tokens }: { tokens: TokenStore }) {
  const [token, setToken] = useState(() => tokens.get());
  const api = useMemo(() => (token === null ? null : new AdminApi(token)), [token]);

  const signIn = (accepted: string) => {
    tokens.set(accepted);
    setToken(accepted);
  };
  const signOut = () => {
    tokens.clear();
    setToken(null);
  };

  return (
    <div className="admin">
      <header className="admin-header">
        <h1>Courier admin</h1>
        {api && (
          <button type="button" className="admin-button admin-secondary" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main className="admin-main">
        {api ? (
          <>
            <Dashboard api={api} onSignOut={signOut} />
            <div className="admin-tools">
              <TraceLookup api={api} />
              <DeviceDiagnostics api={api} />
            </div>
          </>
        ) : (
          <SignIn onAccepted={signIn} />
        )}
      </main>
    </div>
  );
}
