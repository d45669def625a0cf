// desk: progressive enhancement only; every page works without JavaScript.
"use strict";
(function () {
  // After a failed submit the error summary takes the focus, so that keyboard and screen
  // reader users start from the list of errors (RGAA 11.10); each link then moves the
  // focus to its field, with the field's label scrolled into view.
  // An action refused after a redirect has no fields to list: its message takes the focus.
  // So does a message that an action was done ("Saved."): drawn with the page after the
  // redirect, a role="status" is not announced (live regions speak changes, not a page's
  // first content), and a screen-reader user heard only the title of a page that looked
  // unchanged. Focused, it is read, and Tab goes on from it into the page.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) {
      var message = document.querySelector("[data-flash-error]") ||
        document.querySelector("[data-flash-status]");
      // A page that puts the focus somewhere itself (autofocus, applied after this) keeps it.
      var free = !document.querySelector("[autofocus]") &&
        (!document.activeElement || document.activeElement === document.body);
      if (message && (free || message.hasAttribute("data-flash-error"))) { message.focus(); }
      return;
    }
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

  // A second click on "Send" while the first is on its way posts the form twice: two
  // comments, two e-mails to the staff. A POST form is sent once per page; after 10 s
  // without an answer (a request the user stopped, a network that hung) it can be sent
  // again, and so can a page the browser shows again from its cache ("Back").
  var SENT_AGAIN_AFTER_MS = 10000;
  function sendPostFormsOnce(event) {
    var form = event.target;
    if (event.defaultPrevented || (form.getAttribute("method") || "").toLowerCase() !== "post") {
      return;  // another script took over this submission (or a GET search form)
    }
    if (form.dataset.sending === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "1";
    window.setTimeout(function () { delete form.dataset.sending; }, SENT_AGAIN_AFTER_MS);
  }

  // A file over the upload limit made the whole request too large: the server answered its
  // "too large" page instead of the form, and the message typed with the file was lost.
  // A file is checked when chosen: one too large is taken off the field, which says why
  // (tied to it as the server's errors are, and announced).
  function checkFileSize(event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) { return; }
    var max = Number(input.dataset.maxBytes);
    var tooLarge = Array.prototype.some.call(input.files || [], function (file) {
      return file.size > max;
    });
    var id = input.id + "-size-error";
    var message = document.getElementById(id);
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(
      function (token) { return token && token !== id; });
    if (tooLarge) {
      input.value = "";
      if (!message) {
        message = document.createElement("ul");
        message.id = id;
        message.className = "errors";
        message.setAttribute("role", "alert");
        message.appendChild(document.createElement("li"));
        input.insertAdjacentElement("afterend", message);
      }
      message.firstChild.textContent = input.dataset.tooLarge;
      described.push(id);
      input.setAttribute("aria-invalid", "true");
    } else if (message) {
      message.remove();
      if (!described.some(function (token) { return /-error$/.test(token); })) {
        input.removeAttribute("aria-invalid");
      }
    }
    if (described.length) {
      input.setAttribute("aria-describedby", described.join(" "));
    } else {
      input.removeAttribute("aria-describedby");
    }
  }

  // On a phone the menu's links filled the first screen before any content: there they sit
  // behind a "Menu" button (a disclosure: aria-expanded on the button, the list after it).
  // Without JavaScript, and on wider screens, the links are always shown.
  var NARROW = "(max-width: 40rem)";
  function collapsibleMenu() {
    var nav = document.querySelector(".mainnav[data-menu-label]");
    var list = nav && nav.querySelector("ul[id]");
    if (!list || !window.matchMedia) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "menu-toggle";
    button.textContent = nav.dataset.menuLabel;
    button.setAttribute("aria-controls", list.id);
    button.setAttribute("aria-expanded", "false");
    nav.insertBefore(button, list);
    var narrow = window.matchMedia(NARROW);
    function show() {
      button.hidden = !narrow.matches;
      list.hidden = narrow.matches && button.getAttribute("aria-expanded") !== "true";
    }
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", String(!open));
      show();
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || button.hidden || list.hidden) { return; }
      button.setAttribute("aria-expanded", "false");
      show();
      button.focus();
    });
    narrow.addEventListener("change", show);
    show();
  }

  // The user menu (a <details>) floats over the page. Left open once the focus had moved on,
  // it covered what took the focus next (at 320 px, the first link of the page sat under
  // "Log out"): a keyboard user could not see where they were. It closes when the focus or
  // a click goes elsewhere in the page (not when the window loses it), and Escape closes it
  // and gives the focus back to its button.
  function floatingMenus() {
    document.querySelectorAll("details.usermenu").forEach(function (menu) {
      var summary = menu.querySelector("summary");
      menu.addEventListener("focusout", function (event) {
        var next = event.relatedTarget;
        if (menu.open && next && !menu.contains(next)) { menu.open = false; }
      });
      menu.addEventListener("keydown", function (event) {
        if (event.key !== "Escape" || !menu.open) { return; }
        menu.open = false;
        summary.focus();
      });
      document.addEventListener("click", function (event) {
        if (menu.open && !menu.contains(event.target)) { menu.open = false; }
      });
    });
  }

  // WCAG 2.2.1 (RGAA 13.1): an idle session ends after hours, and a form sent after that is
  // refused, what was typed in it lost. WARN_BEFORE_S before that time a modal dialog says
  // when; its button (or Escape) asks the server to keep the session, and the page's forms
  // get the fresh CSRF token it answers with. Checked every few seconds against the clock
  // rather than by one long timer, which a computer's sleep would delay.
  var WARN_BEFORE_S = 300;
  var CHECK_EVERY_MS = 5000;
  function sessionWarning() {
    var dialog = document.getElementById("session-warning");
    if (!dialog || typeof dialog.showModal !== "function" || !window.fetch) { return; }
    var text = document.getElementById("session-warning-text");
    var button = dialog.querySelector("[data-session-keep]");
    var keepLabel = button.textContent;
    var endsAt = 0, over = false, asking = false, returnTo = null;
    function start(seconds) {
      endsAt = Date.now() + seconds * 1000;
      over = false;
    }
    function show() {
      var time = new Date(endsAt).toLocaleTimeString(document.documentElement.lang,
        { hour: "2-digit", minute: "2-digit" });
      text.textContent = text.dataset.soon.replace("{time}", time);
      button.textContent = keepLabel;
      returnTo = document.activeElement;
      dialog.showModal();
      button.focus();
    }
    function end() {
      over = true;
      text.textContent = text.dataset.over;
      button.textContent = button.dataset.close;
      if (!dialog.open) { returnTo = document.activeElement; dialog.showModal(); }
      button.focus();
    }
    function close() {
      if (dialog.open) { dialog.close(); }
      if (returnTo && returnTo.focus) { returnTo.focus(); }
    }
    function keep() {
      if (over) { close(); return; }
      if (asking) { return; }
      asking = true;
      var token = document.querySelector("input[name=csrf_token]");
      fetch(dialog.dataset.url, {
        method: "POST", credentials: "same-origin", redirect: "manual",
        headers: { "Accept": "application/json", "X-CSRFToken": token ? token.value : "" }
      }).then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      }).then(function (answer) {
        document.querySelectorAll("input[name=csrf_token]").forEach(function (input) {
          input.value = answer.csrf_token;
        });
        start(answer.seconds);
        close();
      }).catch(end).finally(function () { asking = false; });
    }
    button.addEventListener("click", keep);
    dialog.addEventListener("cancel", function (event) { event.preventDefault(); keep(); });
    start(Number(dialog.dataset.seconds));
    window.setInterval(function () {
      var left = endsAt - Date.now();
      if (over || asking) { return; }
      if (left <= 0) { end(); } else if (left <= WARN_BEFORE_S * 1000 && !dialog.open) { show(); }
    }, CHECK_EVERY_MS);
  }

  document.addEventListener("DOMContentLoaded", collapsibleMenu);
  document.addEventListener("DOMContentLoaded", floatingMenus);
  document.addEventListener("DOMContentLoaded", sessionWarning);
  document.addEventListener("DOMContentLoaded", focusErrorSummary);
  document.addEventListener("submit", sendPostFormsOnce);
  document.addEventListener("change", checkFileSize);
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      delete form.dataset.sending;
    });
  });
})();
