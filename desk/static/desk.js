// desk: progressive enhancement only; every page works without JavaScript.
"use strict";
(function () {
  // After a failed submit the error summary takes the focus, so that keyboard and screen
  // reader users start from the list of errors (RGAA 11.10); each link then moves the
  // focus to its field, with the field's label scrolled into view.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      var input = document.getElementById(link.getAttribute("href").slice(1));
      if (!input) { return; }
      event.preventDefault();
      var label = document.querySelector("label[for='" + input.id + "']") ||
        (input.closest("fieldset") && input.closest("fieldset").querySelector("legend"));
      (label || input).scrollIntoView();
      input.focus({ preventScroll: true });
    });
  }

  document.addEventListener("DOMContentLoaded", focusErrorSummary);
})();
