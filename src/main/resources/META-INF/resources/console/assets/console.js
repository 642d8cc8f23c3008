// Draws every chart described on the page. Chart descriptions are JSON in <script type="application/json">
// elements written by the server (no inline script: the Content-Security-Policy forbids it).
(function () {
  'use strict';
  var palette = ['#2456c9', '#e07b00', '#1e7a3c', '#b3261e', '#7a4fc1', '#00838f', '#8d6e63', '#c2185b', '#546e7a', '#9e9d24'];
  var money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 6 });
  var count = new Intl.NumberFormat('en-US');

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute('data-chart'));
    if (!source || typeof Chart === 'undefined') {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var datasets = spec.datasets.map(function (d, i) {
      var color = palette[i % palette.length];
      var set = { label: d.label, data: d.data, backgroundColor: color, borderColor: color, exact: d.labels };
      if (spec.type === 'line') {
        set.backgroundColor = 'transparent';
        set.pointRadius = 2;
        set.tension = 0;
        if (d.type === 'dashed') {
          set.borderDash = [6, 4];
          set.borderColor = '#8a94a6';
          set.pointRadius = 0;
        }
      }
      return set;
    });
    var valueAxis = spec.horizontal ? 'x' : 'y';
    var scales = {};
    scales[valueAxis] = {
      beginAtZero: true, stacked: spec.stacked,
      title: { display: true, text: spec.unit },
      ticks: {
        precision: spec.unit === 'USD' ? undefined : 0,
        callback: function (v) { return spec.unit === 'USD' ? money.format(v) : count.format(v); }
      }
    };
    scales[valueAxis === 'x' ? 'y' : 'x'] = { stacked: spec.stacked };
    canvas.chart = new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        indexAxis: spec.horizontal ? 'y' : 'x',
        scales: scales,
        plugins: {
          legend: { display: datasets.length > 1 },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                // Money tooltips show the server's exact text, never a value rounded through a float.
                var exact = ctx.dataset.exact;
                var text = exact ? exact[ctx.dataIndex] : count.format(ctx.raw) + ' ' + spec.unit;
                return ctx.dataset.label + ': ' + text;
              }
            }
          }
        }
      }
    });
    canvas.setAttribute('data-drawn', 'true');
  }

  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('canvas[data-chart]'), draw);
  });
})();
