// desk: place lists (site → building → floor) that refill in place.
// A <select data-refill="ID" data-refill-url="/api/...?site="> refills the select #ID from the
// JSON endpoint ([{id, name, lang}]) when it changes, and empties every list further down the chain.
// Elements marked data-nojs (the "Update the lists" button) are hidden while this works and
// shown again if a request fails, so the server round trip stays available.
"use strict";
(function () {
  function clearList(select) {
    // The first option is the blank "choose..." entry; keep it.
    while (select.options.length > 1) { select.remove(1); }
    select.value = "";
  }

  function setNoJs(visible) {
    document.querySelectorAll("[data-nojs]").forEach(function (el) { el.hidden = !visible; });
  }

  // The group's status line (role="status", data-places-status): its data-<key> text, or none.
  function say(source, key) {
    var group = source.closest("form") || document;
    var status = group.querySelector("[data-places-status]");
    if (status) { status.textContent = key ? status.getAttribute("data-" + key) : ""; }
  }

  function refill(source) {
    var target = document.getElementById(source.dataset.refill);
    if (!target) { return; }
    for (var next = target; next; next = document.getElementById(next.dataset.refill || "")) {
      clearList(next);
    }
    var wanted = source.value;
    if (!wanted) {
      // Nothing asked, nothing failing: an earlier "could not be filled" no longer holds.
      target.removeAttribute("aria-busy");
      say(source, "");
      return;
    }
    target.setAttribute("aria-busy", "true");
    fetch(source.dataset.refillUrl + encodeURIComponent(wanted), {
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (items) {
      if (source.value !== wanted) { return; }  // a later change superseded this answer
      clearList(target);
      var pageLang = document.documentElement.lang;
      items.forEach(function (item) {
        var option = new Option(item.name, String(item.id));
        // A name in another language than the page's (no English name yet): RGAA 8.7.
        if (item.lang && item.lang !== pageLang) { option.lang = item.lang; }
        target.add(option);
      });
      target.dispatchEvent(new CustomEvent("places:refilled", { bubbles: true }));
      say(source, "");
    }).catch(function () {
      // The button that asks the server appears: a screen reader is told, or its user
      // waits for a list that stays empty (WCAG 4.1.3).
      setNoJs(true);
      if (source.value === wanted) { say(source, "failed"); }
    }).finally(function () {
      // Only the answer to the latest choice ends the wait: an earlier one, superseded, must
      // not tell a screen reader the list is ready while the latest is still on its way.
      if (source.value === wanted) { target.removeAttribute("aria-busy"); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.fetch || !document.querySelector("select[data-refill]")) { return; }
    setNoJs(false);
    document.addEventListener("change", function (event) {
      if (event.target.matches && event.target.matches("select[data-refill]")) {
        refill(event.target);
      }
    });
  });
})();
