// Draws each chart of a page: a <div class="chart" data-spec="ID"> and the plotly.js figure in
// <script type="application/json" id="ID">; a <select data-submit-on-change> sends its form when a choice
// is made (the form's button does it without script); a <form class="feedback"> sends a rep's verdict to
// POST /api/feedback and says what was kept, without reloading the page (SPEC §13). The pages run no
// inline script (Content-Security-Policy), and every text from the data goes in as text, never as HTML.
"use strict";

function giveFeedback(form, verdict) {
  var said = form.querySelector("output.kept");
  var note = form.elements.note.value.trim();
  said.className = "kept";
  said.textContent = "…";
  fetch("/api/feedback", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({
      account_id: form.dataset.account,
      rep_id: form.dataset.rep,
      verdict: verdict,
      note: note || null,
    }),
  })
    .then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          throw new Error(typeof body.detail === "string" ? body.detail : "the verdict was not kept");
        }
        return body;
      });
    })
    .then(function (row) {
      said.textContent = row.kept;
      form.querySelectorAll("button[name=verdict]").forEach(function (button) {
        button.setAttribute("aria-pressed", String(button.value === row.verdict));
      });
      form.elements.note.value = "";
      listFeedback(row);
    })
    .catch(function (error) {
      said.className = "kept error";
      said.textContent = "Not kept: " + error.message;
    });
}

// The account page's feedback history gets the new verdict on top.
function listFeedback(row) {
  var body = document.querySelector("#feedback-history tbody");
  if (!body) {
    return;
  }
  var none = body.querySelector("tr.none");
  if (none) {
    none.remove();
  }
  var tr = document.createElement("tr");
  tr.dataset.verdict = row.verdict;
  var by = row.given_by !== row.rep_id ? " (by " + row.given_by + ")" : "";
  [
    row.given_at.slice(0, 16).replace("T", " "),
    row.rep_id + by,
    row.verdict.replace("_", " "),
    row.badge || "—",
    row.source,
    row.note || "",
    row.holds_until || "—",
  ].forEach(function (text) {
    var td = document.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
  });
  body.insertBefore(tr, body.firstChild);
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.requestSubmit();
    });
  });
  document.querySelectorAll("form.feedback").forEach(function (form) {
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (event.submitter && event.submitter.value) {
        giveFeedback(form, event.submitter.value);
      }
    });
  });
  document.querySelectorAll("div.chart[data-spec]").forEach(function (div) {
    var source = document.getElementById(div.dataset.spec);
    if (!source || typeof Plotly === "undefined") {
      return;
    }
    var figure = JSON.parse(source.textContent);
    Plotly.newPlot(div, figure.data, figure.layout, { displayModeBar: false, responsive: true });
  });
});
