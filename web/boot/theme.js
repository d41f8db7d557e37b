/*
 * Courier: the colour scheme, before the first paint (no flash). A classic
 * script in <head>, inlined by the build where index.html names it
 * (vite.config.ts `bootScript`): the parser fetches nothing before the page
 * can be drawn. The server's CSP allows it by its hash.
 *
 * The one place that decides: `data-theme` on <html> is "light" or "dark",
 * from the choice in Settings → Account (localStorage "courier.theme",
 * written by web/features/account/theme.ts), or for System from
 * prefers-color-scheme, followed when it changes. web/styles.css keys the
 * dark colours on it. The app asks for a new look with a "courier-theme"
 * event on <html>; another tab's choice arrives as a storage event.
 *
 * The browser's bar follows too: index.html has a theme-color per
 * prefers-color-scheme; a manual choice gives both of them its colour.
 */
/* global window, localStorage, document */
(function () {
  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  var metas = Array.prototype.slice.call(document.querySelectorAll('meta[name="theme-color"][media]'));
  var colours = { light: null, dark: null };
  metas.forEach(function (meta) {
    var scheme = /dark/.test(meta.getAttribute("media")) ? "dark" : "light";
    colours[scheme] = meta.getAttribute("content");
    meta.setAttribute("data-scheme", scheme);
  });
  function apply() {
    var choice = null;
    try {
      choice = localStorage.getItem("courier.theme");
    } catch {
      // Storage blocked: follow the system.
    }
    var dark = choice === "dark" || (choice !== "light" && media !== null && media.matches);
    root.setAttribute("data-theme", dark ? "dark" : "light");
    var manual = choice === "dark" || choice === "light" ? choice : null;
    metas.forEach(function (meta) {
      meta.setAttribute("content", colours[manual || meta.getAttribute("data-scheme")]);
    });
  }
  apply();
  if (media && media.addEventListener) media.addEventListener("change", apply);
  root.addEventListener("courier-theme", apply);
  window.addEventListener("storage", function (e) {
    if (e.key === "courier.theme" || e.key === null) apply();
  });
})();
