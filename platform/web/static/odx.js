// Progressive enhancement only: every form also works without this script.
(function () {
  "use strict";

  // Forms that ask before doing something that cannot be undone (close, reveal).
  document.querySelectorAll("form[data-confirm]").forEach(function (confirmed) {
    confirmed.addEventListener("submit", function (event) {
      if (!window.confirm(confirmed.dataset.confirm)) event.preventDefault();
    });
  });

  // The submit tab: upload in the background, then follow the submission until it is
  // scored or has failed, showing the result in place.
  var form = document.getElementById("upload-form");
  var result = document.getElementById("upload-result");
  if (!form || !result) return;

  // Rewrite the live region only when the status changed, so screen readers announce each
  // change once.
  function show(html) { if (result.innerHTML !== html) result.innerHTML = html; }
  function text(message) {
    var p = document.createElement("p");
    p.className = "error";
    p.textContent = message;
    result.replaceChildren(p);
  }

  // The quota line says what the server counts now: a queued file takes one submission,
  // and a file found invalid gives it back (the status fragment carries the new number).
  var sending = false;
  function showQuota(remaining) {
    var quota = document.getElementById("quota");
    var button = form.querySelector("button[type=submit]");
    if (!quota || !form.dataset.quotaTemplate || isNaN(remaining)) return;
    quota.firstChild.textContent = form.dataset.quotaTemplate.replace("{left}", remaining) + " ";
    button.disabled = sending || remaining === 0;
  }

  // Poll the submission's status fragment, slowing down gently; give up after a few
  // failed polls in a row (the submissions tab still shows the outcome).
  function follow(url, delay, failures) {
    fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok || response.redirected) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        show(html);
        var box = result.querySelector("[data-final]");
        if (box && box.dataset.remaining) showQuota(parseInt(box.dataset.remaining, 10));
        if (!box || box.dataset.final !== "true") {
          window.setTimeout(function () { follow(url, Math.min(delay * 1.5, 3000), 0); }, delay);
        }
      })
      .catch(function () {
        if (failures < 5) {
          window.setTimeout(function () { follow(url, 3000, failures + 1); }, 3000);
        }
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = sending = true;
    var data = new FormData(form);
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": data.get("csrf_token") },
    })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (answer) {
        button.disabled = sending = false;
        if (!answer.ok) {
          // The page's own words for the error's code lead; the server's detail follows.
          var code = String(answer.body.code || "").replace(/_/g, "-");
          var heading = code ? form.getAttribute("data-error-" + code) : null;
          var detail = answer.body.detail || answer.body.title;
          text(form.dataset.errorPrefix + " " + (heading ? heading + " — " : "") + detail);
          return;
        }
        form.reset();
        showQuota(answer.body.remaining_today);
        follow(answer.body.status_url, 500, 0);
      })
      .catch(function () {
        button.disabled = sending = false;
        text(form.dataset.errorPrefix);
      });
  });
})();

// Organizer pages: a region listing dataset jobs follows them while any is queued or running
// (data-active="true" inside it), fetching its own fragment again every few seconds. It is
// not rewritten while focus is inside it, so a keyboard user does not lose their place, and
// its one-line summary goes to a polite live region instead of the whole table.
(function () {
  "use strict";

  document.querySelectorAll("[data-poll]").forEach(function (region) {
    var live = document.getElementById(region.dataset.live || "");
    function active() { return region.querySelector('[data-active="true"]') !== null; }

    function poll(failures) {
      if (!active()) return;
      window.setTimeout(function () {
        fetch(region.dataset.poll, { headers: { Accept: "text/html" }, credentials: "same-origin" })
          .then(function (response) {
            if (!response.ok || response.redirected) throw new Error(String(response.status));
            return response.text();
          })
          .then(function (html) {
            if (!region.contains(document.activeElement)) {
              region.innerHTML = html;
              var summary = region.querySelector("[data-summary]");
              if (live && summary && live.textContent !== summary.dataset.summary) {
                live.textContent = summary.dataset.summary;
              }
            }
            poll(0);
          })
          .catch(function () { if (failures < 5) poll(failures + 1); });
      }, 3000);
    }

    poll(0);
  });
})();
