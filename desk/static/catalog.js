// Catalogue: live search, one submission per click, and the form's token kept across "Back".
// All optional: without JavaScript the search uses ?q=, and the server ignores a second
// submission of the same form anyway.
// (The chained place lists are static/places.js.)
"use strict";
(function () {
  // As desk.catalog.services.search_key: lower case, no accents; apostrophes separate
  // words ("l'imprimante"), other punctuation joins them ("Wi-Fi" is "wifi").
  function searchKey(text) {
    return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase()
      .replace(/['\u2019\u02bc]/g, " ").replace(/[^\p{L}\p{N}\s]/gu, "");
  }

  function filterCatalogue(input) {
    var words = searchKey(input.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    document.querySelectorAll("[data-catalogue-entry]").forEach(function (entry) {
      var text = searchKey(entry.getAttribute("data-search") || "");
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      entry.hidden = !match;
      if (match) { shown += 1; }
    });
    document.querySelectorAll("[data-catalogue-group]").forEach(function (group) {
      group.hidden = !group.querySelector("[data-catalogue-entry]:not([hidden])");
    });
    var empty = document.querySelector("[data-catalogue-empty]");
    if (empty) { empty.hidden = shown > 0; }
    // With nothing found, the help articles are searched for the same words.
    var help = document.querySelector("[data-catalogue-help]");
    if (help) {
      var query = input.value.trim();
      help.href = help.getAttribute("data-base") + (query ? "?q=" + encodeURIComponent(query) : "");
    }
    announce(shown);
  }

  // The status region says how many entries are left once typing pauses (RGAA 7.5),
  // rather than after every key, which would drown what the screen reader is saying.
  var announceTimer = null;
  function announce(count) {
    var status = document.querySelector("[data-catalogue-status]");
    if (!status) { return; }
    clearTimeout(announceTimer);
    announceTimer = setTimeout(function () {
      var key = count === 0 ? "none" : (count === 1 ? "one" : "many");
      status.textContent = status.getAttribute("data-" + key).replace("{count}", String(count));
    }, 400);
  }

  // "Back" from the confirmation fetches the form again (no page is cached), and the browser
  // puts the entries back. The server draws the page with the token of the last request sent
  // from that form in the session; the token this very tab sent is put back on the way back
  // (another tab may have sent the form since). The server answers it with the first ticket,
  // or files a changed request as a new one.
  function keepTokenAcrossBack() {
    var form = document.getElementById("request-form");
    var input = form && form.querySelector("input[name=idempotency_token]");
    if (!input) { return; }
    var key = "desk-sent:" + form.getAttribute("action");
    try {
      var nav = performance.getEntriesByType("navigation")[0];
      var sent = window.sessionStorage.getItem(key);
      if (sent && nav && nav.type === "back_forward") { input.value = sent; }
      form.addEventListener("submit", function () {
        window.sessionStorage.setItem(key, input.value);
      });
    } catch (e) {
      // No storage (a privacy mode): the server's token still stops a double click.
    }
  }

  document.addEventListener("DOMContentLoaded", keepTokenAcrossBack);
  document.addEventListener("DOMContentLoaded", function () {
    var search = document.querySelector("[data-catalogue-filter]");
    if (search) {
      search.addEventListener("input", function () { filterCatalogue(search); });
    }
  });
})();
