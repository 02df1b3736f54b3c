// The publishing desk's held and missed lists (templates/publishing/desk.html). "Publish the checked posts now"
// cannot take a post a stop switch on or an embargo still holds (the server refuses it, and the row says why):
// checking one disables the button and says so beside it. "Release only the checked posts" shows once a post that
// may be released is checked ("Release all" is the list's first choice). Without scripts both stay as they are, and
// the server answers.
(function () {
  "use strict";
  document.querySelectorAll("form[id^='move-']").forEach(function (form) {
    var boxes = document.querySelectorAll("input[type=checkbox][form='" + form.id + "']");
    var now = document.querySelector("button[form='" + form.id + "'][value=now]");
    var why = document.getElementById(form.id + "-now-why");
    var release = document.querySelector("button[form='" + form.id + "'][data-needs-releasable]");
    function update() {
      var held = false;
      var releasable = false;
      boxes.forEach(function (box) {
        if (!box.checked) { return; }
        held = held || "inForce" in box.dataset;
        releasable = releasable || "releasable" in box.dataset;
      });
      if (now) { now.disabled = held; }
      if (why) { why.hidden = !held; }
      if (release) { release.hidden = !releasable; }
    }
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  });
}());
