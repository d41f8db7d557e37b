/*
 * Courier: the colour scheme, before the first paint (no flash). A classic
 * script in <head>, from our own origin: the CSP allows 'self' and no inline
 * script. Under /assets/ so the service worker keeps it with the app shell.
 *
 * The one place that decides: `data-theme` on <html> is "light" or "dark",
 * from the choice in Settings → Account (localStorage "courier.theme",
 * written by web/features/account/theme.ts), or for System from
 * prefers-color-scheme, followed when it changes. web/styles.css keys the
 * dark colours on it. The app asks for a new look with a "courier-theme"
 * event on <html>; another tab's choice arrives as a storage event.
 */
/* global window, localStorage, document */
(function () {
  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function apply() {
    var choice = null;
    try {
      choice = localStorage.getItem("courier.theme");
    } catch {
      // Storage blocked: follow the system.
    }
    var dark = choice === "dark" || (choice !== "light" && media !== null && media.matches);
    root.setAttribute("data-theme", dark ? "dark" : "light");
  }
  apply();
  if (media && media.addEventListener) media.addEventListener("change", apply);
  root.addEventListener("courier-theme", apply);
  window.addEventListener("storage", function (e) {
    if (e.key === "courier.theme" || e.key === null) apply();
  });
})();
