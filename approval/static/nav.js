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
})();
