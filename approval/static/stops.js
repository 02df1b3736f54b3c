// The stop switch form shows the market list for a market's switch and the campaign list for a campaign's, not
// both whatever the scope (without this script both stay shown, and the server reads the one the scope names); and
// the help of the chosen scope only (marked data-scope), not every scope's.
(function () {
  "use strict";
  var scope = document.querySelector(".stop-form select[name=scope]");
  if (!scope) { return; }
  var lists = {market: document.querySelector(".stop-form [name=market]"),
               campaign: document.querySelector(".stop-form [name=campaign_id]")};

  function show() {
    Object.keys(lists).forEach(function (name) {
      var field = lists[name] && lists[name].closest(".field");
      if (field) { field.hidden = scope.value !== name; }
    });
    document.querySelectorAll(".stop-form [data-scope]").forEach(function (help) {
      help.hidden = help.getAttribute("data-scope") !== scope.value;
    });
  }

  scope.addEventListener("change", show);
  show();
})();
