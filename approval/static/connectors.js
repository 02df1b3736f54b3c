// On the publishing settings, a webhook's address and secret are for a webhook: with the outbox or nothing chosen,
// they are disabled (and not sent), so nobody types an address the choice ignores. Without this script they stay
// enabled, and the server ignores them unless the account publishes through a webhook.
(function () {
  "use strict";
  document.querySelectorAll("#accounts select[name=connector]").forEach(function (choice) {
    var form = choice.getAttribute("form");
    var fields = document.querySelectorAll("#accounts input[form='" + form + "'][name=url], " +
                                           "#accounts input[form='" + form + "'][name=secret]");
    function follow() {
      fields.forEach(function (field) { field.disabled = choice.value !== "webhook"; });
    }
    choice.addEventListener("change", follow);
    follow();
  });
})();
