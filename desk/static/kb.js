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

  function watch(inputs, panel, from) {
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
        recordTimer = setTimeout(function () {
          if (text()) { fetchArticles(text(), from, true); }
        }, RECORD_AFTER_MS);
      });
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
      if (panel.getAttribute("data-kb-source") === "catalog-q") {
        inputs = Array.prototype.slice.call(document.querySelectorAll("#catalogue-q"));
      } else {
        inputs = Array.prototype.slice.call(
          document.querySelectorAll("form.request-form textarea, form.request-form input[name=event_name], " +
            "form.request-form input[name=summary]"));
        // Suggestions are shown live, so the form needs no "check these first" step.
        document.querySelectorAll("[data-kb-checked]").forEach(function (flag) { flag.value = "1"; });
      }
      if (inputs.length) { watch(inputs, panel, panel.getAttribute("data-kb-from")); }
    });
    var search = document.querySelector("[data-kb-link-search]");
    if (search) { linkPicker(search); }
  });
})();
