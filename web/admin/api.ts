import { dashboardResponseSchema } from "../../shared/metrics/schema.js";
import { adminDiagnosticsResponseSchema, CourierError } from "../../shared/protocol/index.js";
import { NetworkError } from "../api/errors.js";
import { Http, type Fetch } from "../api/http.js";
import { traceSchema } from "./schemas.js";

/**
 * The admin API (server/admin/routes.ts and the observability routes):
 * `Authorization: Bearer <admin token>` on every request and no cookie
 * (`credentials: "omit"`): the admin is not a user of the app, and the
 * token is the only thing that authorises. Failures come out as the app's
 * Http gives them: CourierError (the server answered) or NetworkError.
 */
export class AdminApi {
  private readonly http: Http;

  constructor(token: string, fetchFn: Fetch = (input, init) => fetch(input, init)) {
    this.http = new Http("", (input, init) =>
      fetchFn(input, { ...init, credentials: "omit", headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` } }),
    );
  }

  dashboard(signal?: AbortSignal) {
    return this.http.request("GET", "/api/admin/dashboard", { schema: dashboardResponseSchema, signal });
  }

  trace(messageId: string) {
    return this.http.request("GET", `/api/admin/messages/${encodeURIComponent(messageId)}/trace`, { schema: traceSchema });
  }

  diagnostics(userId: string) {
    return this.http.request("GET", "/api/admin/diagnostics", { query: { userId }, schema: adminDiagnosticsResponseSchema });
  }
}

/** A failed admin request in the operator's words: the server's own message when it answered. */
export function describeAdminError(error: unknown): string {
  if (error instanceof NetworkError) return "The server is unreachable. Check that it runs, then try again.";
  if (error instanceof CourierError) return error.message;
  return error instanceof Error ? error.message : "Something went wrong.";
}
