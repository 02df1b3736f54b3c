// The post page's "Approve and schedule at this time" (templates/posts/show.html). Its time field sits in the decide
// form, whose first button is "Approve": Enter in the field would approve alone, the time typed left behind. Here
// Enter presses the button beside the field (the time's own). Without this script Enter approves alone, as it did.
(function () {
  "use strict";
  var field = document.getElementById("approve-at-local_time");
  var button = document.querySelector(".actions-card .action-approve-at");
  if (!field || !button) { return; }
  field.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.isComposing) { return; }
    event.preventDefault();
    if (button.form && button.form.requestSubmit) { button.form.requestSubmit(button); } else { button.click(); }
  });
})();
