// On a user's form, each group of fields is shown for the roles it means something for (its data-for-roles):
// markets for community and project managers, the executives served for cabinet members. A hidden group's
// inputs are disabled, so they are not sent: a cabinet member keeps no market ticked before they became one.
// Without this script every group is shown, and saving refuses what means nothing for the role chosen.
//
// "All markets" is a community or project manager's choice ("sees the accounts of every market"). A cabinet member
// given it still sees only their executives' messages: it merely lists every market in their filters
// (approval.access.market_clause). So it is not offered to a cabinet member; one saved with it (the command line's
// --all-markets, the API, an older form) keeps it in sight, ticked, to untick or keep. The server takes it for
// any role, as it did: a form sent without it saves it off.
(function () {
  "use strict";
  var role = document.querySelector("form select[name=role]");
  var groups = document.querySelectorAll("form [data-for-roles]");
  if (!role || !groups.length) {
    return;
  }
  var everywhere = document.querySelector("form input[name=all_markets]");
  var keptByCabinet = !!everywhere && everywhere.checked && role.value === "cabinet";
  function shown(group) {
    if (role.value === "cabinet" && everywhere && group.contains(everywhere) && !keptByCabinet) {
      return false;
    }
    return group.getAttribute("data-for-roles").split(" ").indexOf(role.value) !== -1;
  }
  function follow() {
    groups.forEach(function (group) {
      var show = shown(group);
      group.hidden = !show;
      group.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !show; });
    });
  }
  role.addEventListener("change", follow);
  follow();
})();
