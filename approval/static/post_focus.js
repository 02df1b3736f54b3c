// The post page (templates/posts/show.html). A refused decision comes back with its comment (or its acknowledgement)
// focused by the page itself (autofocus). On a phone the actions now come right after the text, so the field may be
// half in sight when the page opens: the browser scrolls to a focused field only when none of it shows. Brought
// whole into sight here, once, when the page focuses it.
(function () {
  "use strict";
  var field = document.querySelector(".actions-card [autofocus]");
  if (!field) { return; }
  function bring() {
    var box = field.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) { field.scrollIntoView({block: "center"}); }
  }
  if (document.activeElement === field) { bring(); return; }
  field.addEventListener("focus", function () { window.requestAnimationFrame(bring); }, {once: true});
})();
