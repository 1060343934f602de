// The on-time rate trend on the bureau dashboard (Chart.js, vendored).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var data = document.getElementById("trend-data");
  var canvas = document.getElementById("trend-chart");
  if (!data || !canvas || typeof Chart === "undefined") { return; }
  var points = JSON.parse(data.textContent);
  new Chart(canvas, {
    type: "line",
    data: {
      labels: points.map(function (p) { return p.date.slice(5); }),
      datasets: [{ data: points.map(function (p) { return p.rate; }), borderColor: "#198754",
                   backgroundColor: "rgba(25,135,84,.15)", fill: true, tension: 0.2 }]
    },
    options: {
      animation: false,
      plugins: { legend: { display: false } },
      scales: { y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } } }
    }
  });
});
