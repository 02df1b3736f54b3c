// A text box's count of characters as it is typed, against the most its form takes (the post page's comment boxes:
// templates/posts/show.html, ``counter``). The box has no maxlength, which cut a longer paste without a word: the
// count turns red past the limit, and the server refuses such a text with its reason, the text kept.
//
// ``<p class="counter" data-counter-for="ID" data-limit="N"><span data-count>0</span> / N</p>``: the count of the
// box ``#ID`` in code points, a line break counted once, as the server counts (approval.forms.posts.CommentLength).
// The box names the counter in its aria-describedby: a screen reader reads the count with it, not at every key.
(function () {
  "use strict";
  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
  document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
    var box = document.getElementById(counter.dataset.counterFor);
    var shown = counter.querySelector("[data-count]");
    var limit = Number(counter.dataset.limit);
    if (!box || !shown || !limit) { return; }
    function count() {
      var length = Array.from(box.value).length;
      shown.textContent = numbers.format(length);
      counter.classList.toggle("over", length > limit);
    }
    box.addEventListener("input", count);
    count();
  });
})();
