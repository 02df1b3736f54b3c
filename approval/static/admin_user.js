// On a user's form, each group of fields is shown for the roles it means something for (its data-for-roles):
// markets for community and project managers, the executives served for cabinet members. A hidden group's
// inputs are disabled, so they are not sent: a cabinet member keeps no market ticked before they became one.
// Without this script every group is shown, and saving refuses what means nothing for the role chosen.
(function () {
  "use strict";
  var role = document.querySelector("form select[name=role]");
  var groups = document.querySelectorAll("form [data-for-roles]");
  if (!role || !groups.length) {
    return;
  }
  function follow() {
    groups.forEach(function (group) {
      var shown = group.getAttribute("data-for-roles").split(" ").indexOf(role.value) !== -1;
      group.hidden = !shown;
      group.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !shown; });
    });
  }
  role.addEventListener("change", follow);
  follow();
})();
