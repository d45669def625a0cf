/* The staff ticket page: "Insert" puts the chosen canned reply into the reply box, at the
   cursor, without reloading the page. Without JavaScript the same form reloads the page with
   the reply box filled in by the server (see templates/canned/_picker.html). */
(function () {
  "use strict";

  // At the cursor once the user has been in the box, else at the end of what is there.
  function insertText(box, text, touched) {
    var value = box.value;
    var start = touched ? box.selectionStart : value.length;
    var end = touched ? box.selectionEnd : value.length;
    if (start > 0 && value.charAt(start - 1) !== "\n") { text = "\n" + text; }
    box.value = value.slice(0, start) + text + value.slice(end);
    box.setSelectionRange(start + text.length, start + text.length);
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function init() {
    var pickers = document.querySelectorAll("form[data-canned-target]");
    Array.prototype.forEach.call(pickers, function (picker) {
      var box = document.getElementById(picker.getAttribute("data-canned-target"));
      var select = picker.querySelector("select");
      var status = document.querySelector("[data-canned-status]");
      if (!box || !select) { return; }
      var touched = false;
      box.addEventListener("focus", function () { touched = true; });
      picker.addEventListener("submit", function (event) {
        var option = select.options[select.selectedIndex];
        if (!option || !option.hasAttribute("data-text")) { return; }
        event.preventDefault();
        insertText(box, option.getAttribute("data-text"), touched);
        box.focus();
        if (status) { status.textContent = picker.getAttribute("data-inserted") || ""; }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
