// Charts of the report pages: each <canvas data-chart="ID"> is drawn from the JSON that
// {{ config|json_script:"ID" }} put in the page (no inline script: the CSP forbids it).
// The JSON is a Chart.js configuration: {"type": "bar", "data": {...}, "options": {...}}.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof Chart === "undefined") {
    return;
  }
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) {
      return;
    }
    var config = JSON.parse(source.textContent);
    // Numbers on the axes and in the tooltips as the page's language writes them (1 234,5 in
    // Polish), not as the browser's would.
    config.options = Object.assign(
      { responsive: true, maintainAspectRatio: false, animation: false, locale: document.documentElement.lang || undefined },
      config.options || {}
    );
    new Chart(canvas, config);
  });
});
