// The top bar on a phone (below 768 px, app.css): the product's name, a "Menu" button and the bell; the button opens
// the rest (the navigation, the profile, "Log out", the languages) below it, and says whether it is open
// (aria-expanded). Escape closes it and brings the focus back to the button. Without this script the bar shows
// everything, as a tablet's does.
//
// Loaded in the page's head, not deferred: the page is marked ("nav-folds") before the bar is drawn, so that the menu
// is folded from the first paint rather than opening then snapping shut.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("nav-folds");

  document.addEventListener("DOMContentLoaded", function () {
    foldMoreOnLeaving();
    var button = document.querySelector(".topbar .menu-toggle");
    if (!button) { return; }  // signed out: the bar is the name and the languages, nothing to fold
    var bar = button.closest(".topbar");
    var menu = document.getElementById(button.getAttribute("aria-controls"));

    function isOpen() { return button.getAttribute("aria-expanded") === "true"; }
    // The button's state is the menu's: app.css folds the menu after a button that says it is closed.
    function setOpen(open) { button.setAttribute("aria-expanded", open ? "true" : "false"); }

    button.addEventListener("click", function () { setOpen(!isOpen()); });
    // Escape closes it from the button or from within; the focus, if it was in the menu, goes back to the button
    // (it would otherwise be on a link that is no longer shown).
    bar.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !isOpen() || !button.getClientRects().length) { return; }
      var inside = menu && menu.contains(document.activeElement);
      setOpen(false);
      if (inside) { button.focus(); }
    });
  });

  // "More" in the bar (a <details>, base.html) opens and closes without this script; with it, it folds as a menu
  // would: on Escape (the focus back on its summary), on a click elsewhere, and when the focus leaves it (its links
  // would otherwise stay open over the page). Where app.css unfolds it, its summary is not drawn: nothing to fold.
  function foldMoreOnLeaving() {
    var more = document.querySelector(".topbar details.more");
    if (!more) { return; }
    var summary = more.querySelector("summary");
    function folds() { return more.open && summary.getClientRects().length > 0; }
    more.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !folds()) { return; }
      more.open = false;
      summary.focus();
      event.stopPropagation();  // the phone's menu, around it, stays open
    });
    document.addEventListener("click", function (event) {
      if (folds() && !more.contains(event.target)) { more.open = false; }
    });
    more.addEventListener("focusout", function (event) {
      if (folds() && event.relatedTarget && !more.contains(event.relatedTarget)) { more.open = false; }
    });
  }
})();
