// Draws each chart of a page: a <div class="chart" data-spec="ID"> and the plotly.js figure in
// <script type="application/json" id="ID">; a <select data-submit-on-change> sends its form when a choice
// is made (the form's button does it without script). The pages run no inline script (Content-Security-Policy).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.requestSubmit();
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
