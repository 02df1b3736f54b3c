// The new-post form's "Also write it for" (templates/posts/edit.html): the account chosen above is written for
// already, so its own box is ticked and disabled while it is the one chosen. Without scripts every box is there,
// and ticking the chosen account's makes no second post (views.posts.new_post).
(function () {
  "use strict";
  var select = document.querySelector("select[name=account_id]");
  var boxes = document.querySelectorAll("input[name=also_account_ids]");
  if (!select || !boxes.length) { return; }
  function follow() {
    boxes.forEach(function (box) {
      var chosen = box.value === select.value;
      if (chosen && !box.disabled) { box.dataset.wasChecked = box.checked ? "1" : ""; }
      if (!chosen && box.disabled) { box.checked = box.dataset.wasChecked === "1"; }
      box.disabled = chosen;
      if (chosen) { box.checked = true; }
      box.closest("li").classList.toggle("chosen", chosen);
    });
  }
  select.addEventListener("change", follow);
  follow();
}());
