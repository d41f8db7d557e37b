/*
 * Courier: applies the theme chosen in Settings → Account before the first
 * paint (no flash). A classic script in <head>, from our own origin: the CSP
 * allows 'self' and no inline script. Kept in step with
 * web/features/account/theme.ts (same key, same values). Under /assets/ so
 * the service worker keeps it with the app shell for an offline start.
 */
/* global localStorage, document */
(function () {
  try {
    var theme = localStorage.getItem("courier.theme");
    if (theme === "light" || theme === "dark") document.documentElement.setAttribute("data-theme", theme);
  } catch {
    // Storage blocked: follow the system.
  }
})();
