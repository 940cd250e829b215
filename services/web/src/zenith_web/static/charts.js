/* Sensor charts: each .chart holds its downsampled series as JSON
 * ([times in s, values]); drawn with the vendored uPlot. */
"use strict";

(() => {
  if (typeof uPlot === "undefined") return;
  const charts = [];
  for (const box of document.querySelectorAll(".chart[data-series]")) {
    const data = JSON.parse(box.dataset.series);
    const width = () => Math.max(240, box.clientWidth);
    const plot = new uPlot({
      width: width(), height: 220,
      legend: {show: false},
      scales: {x: {time: true, range: () => [Number(box.dataset.start), Number(box.dataset.end)]}},
      axes: [
        {stroke: "#8d98b5", grid: {stroke: "#243052"}},
        {stroke: "#8d98b5", grid: {stroke: "#243052"}, size: 56},
      ],
      series: [{}, {label: box.dataset.label, stroke: "#7aa2ff", width: 2,
                    fill: "rgba(122,162,255,0.12)", spanGaps: false}],
    }, data, box);
    charts.push([plot, box, width]);
  }
  let timer = null;
  window.addEventListener("resize", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      for (const [plot, box, width] of charts) plot.setSize({width: width(), height: 220});
    }, 150);
  });
  document.body.dataset.charts = String(charts.length);
})();
