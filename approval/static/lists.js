// A list's filters on a phone (lists.css): the search alone, and a button that shows the others. Filters in force
// stay shown. On a wider screen the button is hidden and everything shows, whatever this does.
(function () {
  "use strict";
  document.querySelectorAll("form.list-filters:not([data-active])").forEach(function (form) {
    var more = document.createElement("button");
    more.type = "button";
    more.className = "button small more-filters";
    more.textContent = form.dataset.more;
    more.setAttribute("aria-expanded", "false");
    more.addEventListener("click", function () {
      form.classList.remove("folded");
      more.remove();
    });
    form.classList.add("folded");
    form.insertBefore(more, form.querySelector("button[type=submit]"));
  });
})();
