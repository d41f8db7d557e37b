/**
 * The admin token lives in this tab's sessionStorage only: gone when the tab
 * closes, never in a cookie (the browser would send it by itself) nor in
 * localStorage (it would outlive the session and reach every tab).
 */
const KEY = "courier-admin-token";

export interface TokenStore {
  get(): string | null;
  set(token: string): void;
  clear(): void;
}

export function sessionTokenStore(storage: Pick<Storage, "getItem" | "setItem" | "removeItem"> = sessionStorage): TokenStore {
  return {
    get: () => storage.getItem(KEY),
    set: (token) => storage.setItem(KEY, token),
    clear: () => storage.removeItem(KEY),
  };
}
