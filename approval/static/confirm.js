// A form whose action cannot be taken back (a kiosk link revoked, a stop switch turned off: posts may go out) asks
// first: its data-confirm is the question. Without scripts the form submits as it is.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) { event.preventDefault(); }
  });
})();
