// Charts of a simulation (latency CDFs and time series) and of a validation (predicted vs
// measured), drawn with Chart.js from the data tokenfab computes (SimulationChartData in
// src/io/report_data.cpp).
import {
  Chart, LineController, ScatterController, LineElement, PointElement, LinearScale,
  LogarithmicScale, Legend, Tooltip, Filler,
} from 'chart.js';
import { el } from './dom.js';

Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale,
  LogarithmicScale, Legend, Tooltip, Filler);

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04'];

// Every chart made, so the web app can free them before drawing new results.
const live = [];
export function destroyCharts() {
  while (live.length) live.pop().destroy();
}

function axis(title, extra = {}) {
  return { type: 'linear', title: { display: true, text: title }, ...extra };
}

// One chart in a card. spec: {id, title, note, x, y, y2, xLog, yLog, datasets: [{label, data, y2,
// dashed, scatter}]}; data are {x, y} points.
export function chartCard(spec) {
  const canvas = el('canvas', { 'data-chart': spec.id });
  const card = el('div', { class: 'chart', id: `chart-${spec.id}` },
    el('h3', { text: spec.title }), spec.note ? el('div', { class: 'note', text: spec.note }) : null,
    el('div', { class: 'box' }, canvas));
  const scales = {
    x: axis(spec.x, spec.xLog ? { type: 'logarithmic' } : {}),
    y: axis(spec.y, spec.yLog ? { type: 'logarithmic' } : { beginAtZero: true }),
  };
  if (spec.y2) scales.y1 = axis(spec.y2, { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false } });
  const datasets = spec.datasets.map((d, i) => ({
    label: d.label,
    data: d.data,
    type: d.scatter ? 'scatter' : 'line',
    yAxisID: d.y2 ? 'y1' : 'y',
    borderColor: d.color ?? COLORS[i % COLORS.length],
    backgroundColor: d.color ?? COLORS[i % COLORS.length],
    borderWidth: d.scatter ? 0 : 1.5,
    borderDash: d.dashed ? [5, 4] : [],
    pointRadius: d.scatter ? 3 : 0,
    stepped: d.stepped ?? false,
    spanGaps: false,
  }));
  const chart = new Chart(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', intersect: false, axis: 'x' },
      plugins: { legend: { display: datasets.length > 1, labels: { usePointStyle: true, pointStyle: 'line' } } },
      scales,
    },
  });
  live.push(chart);
  return card;
}

const zip = (xs, ys) => xs.map((x, i) => ({ x, y: ys[i] ?? null }));
const cdfPoints = (pairs) => (pairs ?? []).map(([x, y]) => ({ x, y }));

// True when a CDF spans enough decades to be read better on a log axis.
function wantsLog(pairs) {
  if (!pairs || pairs.length < 2) return false;
  const lo = pairs[0][0];
  const hi = pairs[pairs.length - 1][0];
  return lo > 0 && hi / lo > 50;
}

function cdfCard(id, title, pairs, p99) {
  return chartCard({
    id, title, x: 'milliseconds', y: 'fraction of requests', xLog: wantsLog(pairs),
    note: p99 !== undefined ? `p99 = ${p99.toFixed(1)} ms` : null,
    datasets: [{ label: title, data: cdfPoints(pairs), stepped: true }],
  });
}

export function simulationCharts(charts, metrics = {}) {
  const s = charts.series ?? {};
  const t = s.t_s ?? [];
  const lat = metrics.latency ?? {};
  const note = `${t.length} time buckets of ${(charts.bucket_s ?? 0).toPrecision(3)} s`;
  const cards = [
    cdfCard('ttft-cdf', 'TTFT CDF', charts.cdf?.ttft_ms, lat.ttft_ms?.p99),
    cdfCard('tpot-cdf', 'TPOT CDF', charts.cdf?.tpot_ms, lat.tpot_ms?.p99),
    cdfCard('e2e-cdf', 'End-to-end latency CDF', charts.cdf?.e2e_ms, lat.e2e_ms?.p99),
    chartCard({ id: 'throughput', title: 'Output throughput over time', note, x: 'time (s)', y: 'tokens/s',
      datasets: [{ label: 'output tok/s', data: zip(t, s.output_tokens_per_s) }] }),
    chartCard({ id: 'queue', title: 'Requests in the system over time', note: 'time-averaged per bucket',
      x: 'time (s)', y: 'requests',
      datasets: [{ label: 'in system', data: zip(t, s.in_system) },
        { label: 'waiting for first token', data: zip(t, s.waiting) }] }),
  ];
  if (s.kv_utilization) {
    cards.push(chartCard({ id: 'kv', title: 'KV-cache utilization over time', x: 'time (s)', y: '% of blocks used',
      note: 'mean and max over the iterations (all instances) in each bucket',
      datasets: [{ label: 'mean', data: zip(t, s.kv_utilization.map((v) => (v === null ? null : 100 * v))) },
        { label: 'max', dashed: true,
          data: zip(t, (s.kv_utilization_max ?? []).map((v) => (v === null ? null : 100 * v))) }] }));
    cards.push(chartCard({ id: 'batch', title: 'Batch size over time', x: 'time (s)', y: 'sequences',
      y2: 'tokens', note: 'mean per iteration in each bucket',
      datasets: [{ label: 'sequences', data: zip(t, s.batch_sequences) },
        { label: 'tokens', data: zip(t, s.batch_tokens), y2: true, dashed: true }] }));
  }
  return el('div', { class: 'charts' }, cards);
}

// Predicted against measured, one scatter per metric, log-log with the y = x line.
export function validationCharts(points) {
  const byMetric = new Map();
  for (const p of points) {
    if (!(p.predicted > 0 && p.measured > 0)) continue;
    if (!byMetric.has(p.metric)) byMetric.set(p.metric, []);
    byMetric.get(p.metric).push(p);
  }
  const cards = [];
  for (const [metric, ps] of byMetric) {
    const values = ps.flatMap((p) => [p.predicted, p.measured]);
    const lo = Math.min(...values) / 1.3;
    const hi = Math.max(...values) * 1.3;
    const splits = [...new Set(ps.map((p) => p.split || 'all'))];
    cards.push(chartCard({
      id: `validation-${metric.replace(/[^a-z0-9]+/gi, '-')}`, title: metric, xLog: true, yLog: true,
      x: 'measured', y: 'predicted', note: `${ps.length} measurements; dashed: predicted = measured`,
      datasets: [
        ...splits.map((split) => ({ label: split, scatter: true,
          data: ps.filter((p) => (p.split || 'all') === split).map((p) => ({ x: p.measured, y: p.predicted })) })),
        { label: 'y = x', dashed: true, color: '#9ca3af', data: [{ x: lo, y: lo }, { x: hi, y: hi }] },
      ],
    }));
  }
  return el('div', { class: 'charts' }, cards);
}
