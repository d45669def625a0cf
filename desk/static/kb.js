// Knowledge base: articles suggested as people type (catalogue search, request forms), and the
// article-link picker of the staff ticket page. Without JavaScript the catalogue search shows
// articles on submit and a request form asks to "check these first" before sending.
"use strict";
(function () {
  var DEBOUNCE_MS = 250;
  var RECORD_AFTER_MS = 1500; // a pause this long counts as a search (for the report's gaps)

  function suggestUrl(query, from, record, forReply) {
    var url = "/aide/suggestions?q=" + encodeURIComponent(query);
    if (from) { url += "&from=" + encodeURIComponent(from); }
    if (record) { url += "&record=1"; }
    // A link put in a reply must open for the requester: no staff-only article.
    if (forReply) { url += "&for=reply"; }
    return url;
  }

  function fetchArticles(query, from, record, forReply) {
    return fetch(suggestUrl(query, from, record, forReply), {
      headers: { Accept: "application/json" }, credentials: "same-origin"
    }).then(function (response) {
      return response.ok ? response.json() : { articles: [] };
    }).catch(function () { return { articles: [] }; });
  }

  // The snippet arrives as [text, highlighted] pieces: built with textContent, never as HTML.
  function snippet(parts) {
    var p = document.createElement("p");
    p.className = "kb-snippet";
    (parts || []).forEach(function (part) {
      var node = part[1] ? document.createElement("mark") : document.createTextNode(part[0]);
      if (part[1]) { node.textContent = part[0]; }
      p.appendChild(node);
    });
    return p;
  }

  function showHits(panel, articles) {
    var list = panel.querySelector("[data-kb-list]");
    list.textContent = "";
    articles.forEach(function (article) {
      var li = document.createElement("li");
      li.className = "kb-hit";
      var link = document.createElement("a");
      link.href = article.url;
      link.textContent = article.title;
      var text = snippet(article.snippet);
      if (article.lang !== document.documentElement.lang.slice(0, 2)) {
        link.lang = article.lang;
        text.lang = article.lang;  // the snippet is in the article's language too (RGAA 8.7)
      }
      li.appendChild(link);
      li.appendChild(text);
      list.appendChild(li);
    });
    panel.hidden = articles.length === 0;
    announce(panel, articles);
  }

  // The list itself is not a live region: read again at each pause in typing, its titles
  // and snippets drowned what the screen reader was saying (and a list shown as it fills
  // was not read at all). One short sentence says how many articles there are, only when
  // they change; none found says nothing.
  function announce(panel, articles) {
    var status = document.getElementById(panel.getAttribute("data-kb-status"));
    if (!status) { return; }
    var key = articles.map(function (a) { return a.url; }).join(" ");
    if (key === status.getAttribute("data-shown")) { return; }
    status.setAttribute("data-shown", key);
    var count = articles.length;
    status.textContent = count === 0 ? "" : status.getAttribute(count === 1 ? "data-one" : "data-many")
      .replace("{count}", String(count));
  }

  // `record`: only a search box's pauses count as searches (the report's gaps, which every
  // technician reads); what a requester writes in a form belongs to their request and its
  // queue, whatever it says (a health matter in an HR form).
  function watch(inputs, panel, from, record) {
    var timer = null;
    var recordTimer = null;
    var last = "";
    function text() {
      return inputs.map(function (i) { return i.value; }).join(" ").trim().slice(0, 200);
    }
    function update() {
      var query = text();
      if (query === last) { return; }
      last = query;
      if (!query) { showHits(panel, []); return; }
      fetchArticles(query, from, false).then(function (data) {
        if (text() === query) { showHits(panel, data.articles); }
      });
    }
    inputs.forEach(function (input) {
      input.addEventListener("input", function () {
        clearTimeout(timer);
        clearTimeout(recordTimer);
        timer = setTimeout(update, DEBOUNCE_MS);
        if (!record) { return; }
        recordTimer = setTimeout(function () {
          if (text()) { fetchArticles(text(), from, true); }
        }, RECORD_AFTER_MS);
      });
    });
  }

  // "I still need help" on an article opened from a form is a new visit of the form, which the
  // browser shows empty (it puts typed values back only for its Back button): what was typed
  // is kept for this tab when one of the form's article links is followed, and put back when
  // the form is reached from an article. Files cannot be kept; the entry is used once.
  var KEEP_PREFIX = "desk-kb-form:";
  var NOT_KEPT = ["hidden", "file", "password", "submit", "button", "reset", "image"];

  function keptFields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && !el.disabled && el.tagName !== "BUTTON" && NOT_KEPT.indexOf(el.type) < 0;
    });
  }

  function fieldValue(el) {
    if (el.type === "checkbox" || el.type === "radio") { return el.checked; }
    if (el.multiple) {
      return Array.prototype.filter.call(el.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
    }
    return el.value;
  }

  function keepTyped(form, key) {
    var values = keptFields(form).map(function (el) { return [el.name, fieldValue(el)]; });
    try { sessionStorage.setItem(key, JSON.stringify(values)); } catch (e) { /* storage off */ }
  }

  function fromArticle() {
    try { return /^\/aide\/[^/]+$/.test(new URL(document.referrer).pathname); }
    catch (e) { return false; }
  }

  function setField(el, value) {
    if (el.type === "checkbox" || el.type === "radio") { el.checked = value === true; return; }
    if (el.multiple) {
      Array.prototype.forEach.call(el.options, function (o) { o.selected = value.indexOf(o.value) >= 0; });
      return;
    }
    el.value = value;
  }

  // A place list (static/places.js) is refilled when the one above it changes: its value is
  // set once its options have arrived.
  function restoreTyped(form, key) {
    var saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(key) || "null");
      sessionStorage.removeItem(key);
    } catch (e) { return; }
    if (!Array.isArray(saved) || !fromArticle()) { return; }
    var waiting = {};
    var refills = [];
    keptFields(form).forEach(function (el, i) {
      var entry = saved[i];
      if (!Array.isArray(entry) || entry[0] !== el.name) { return; }
      if (el.id && document.querySelector("select[data-refill='" + el.id + "']")) {
        waiting[el.id] = entry[1];
      }
      setField(el, entry[1]);
      if (el.matches("select[data-refill]") && el.value) { refills.push(el); }
    });
    document.addEventListener("places:refilled", function (event) {
      var el = event.target;
      if (!(el.id in waiting)) { return; }
      el.value = waiting[el.id];
      delete waiting[el.id];
      if (el.matches("select[data-refill]") && el.value) {
        el.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    // Only the top of each chain: the lists below it are refilled in turn.
    refills.filter(function (el) { return !(el.id in waiting); }).forEach(function (el) {
      el.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function keepForArticles(form, key) {
    restoreTyped(form, key);
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest(".kb-suggest a, .kb-related a, .kb-check a");
      if (link) { keepTyped(form, key); }
    });
  }

  // The picker's count, said once per search (the list is searched on purpose: "none" too).
  function tell(results, count) {
    var status = document.getElementById(results.getAttribute("data-kb-status"));
    if (!status) { return; }
    var key = count === 0 ? "data-none" : count === 1 ? "data-one" : "data-many";
    status.textContent = status.getAttribute(key).replace("{count}", String(count));
  }

  function linkPicker(search) {
    var results = document.querySelector("[data-kb-link-results]");
    var target = document.getElementById(search.getAttribute("data-kb-target"));
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var query = search.value.trim();
        results.textContent = "";
        if (!query) { return; }
        fetchArticles(query, "", false, true).then(function (data) {
          results.textContent = "";
          tell(results, data.articles.length);
          data.articles.forEach(function (article) {
            var li = document.createElement("li");
            var button = document.createElement("button");
            button.type = "button";
            button.className = "linklike";
            button.textContent = article.title;
            button.addEventListener("click", function () {
              if (!target) { return; }
              var sep = target.value && !/\s$/.test(target.value) ? "\n\n" : "";
              target.value += sep + article.title + " : " + article.link + "\n";
              target.focus();
            });
            li.appendChild(button);
            results.appendChild(li);
          });
        });
      }, DEBOUNCE_MS);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-kb-suggest]").forEach(function (panel) {
      var inputs;
      var searchBox = panel.getAttribute("data-kb-source") === "catalog-q";
      if (searchBox) {
        inputs = Array.prototype.slice.call(document.querySelectorAll("#catalogue-q"));
      } else {
        inputs = Array.prototype.slice.call(
          document.querySelectorAll("form.request-form textarea, form.request-form input[name=event_name], " +
            "form.request-form input[name=summary]"));
        // Suggestions are shown live, so the form needs no "check these first" step.
        document.querySelectorAll("[data-kb-checked]").forEach(function (flag) { flag.value = "1"; });
        var form = document.getElementById("request-form");
        var from = panel.getAttribute("data-kb-from");
        if (form && from) { keepForArticles(form, KEEP_PREFIX + from); }
      }
      var counted = searchBox && panel.getAttribute("data-kb-count") !== "off";
      if (inputs.length) { watch(inputs, panel, panel.getAttribute("data-kb-from"), counted); }
    });
    var search = document.querySelector("[data-kb-link-search]");
    if (search) { linkPicker(search); }
  });
})();
