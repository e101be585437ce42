// The summary of a simulation: headline cards, the latency table and every other metric.
import { el, fmt } from './dom.js';

const CARDS = [
  ['throughput.output_tokens_per_s', 'Output throughput', 'tok/s'],
  ['throughput.output_tokens_per_s_per_gpu', 'Output per GPU', 'tok/s/GPU'],
  ['throughput.requests_per_s', 'Requests', 'req/s'],
  ['latency.ttft_ms.p50', 'TTFT p50', 'ms'],
  ['latency.ttft_ms.p99', 'TTFT p99', 'ms'],
  ['latency.tpot_ms.p50', 'TPOT p50', 'ms'],
  ['latency.tpot_ms.p99', 'TPOT p99', 'ms'],
  ['latency.e2e_ms.p99', 'E2E p99', 'ms'],
  ['goodput.requests_per_s', 'Goodput (SLOs met)', 'req/s'],
  ['kv_cache.peak_utilization', 'KV cache peak', '%', 100],
  ['batch.mean_size', 'Mean batch', 'sequences'],
  ['energy.joules_per_output_token', 'Energy', 'J/token'],
];

function get(obj, dotted) {
  return dotted.split('.').reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), obj);
}

export function summaryCards(metrics) {
  return el('div', { class: 'cards', id: 'summary-cards' },
    CARDS.map(([key, label, unit, scale]) => {
      const v = get(metrics, key);
      const shown = typeof v === 'number' && scale ? v * scale : v;
      return el('div', { class: 'card', 'data-metric': key },
        el('div', { class: 'label', text: label }),
        el('div', {}, el('span', { class: 'value', text: fmt(shown) }),
          el('span', { class: 'unit', text: unit })));
    }));
}

function latencyTable(latency) {
  const cols = ['mean', 'p50', 'p90', 'p99'];
  return el('table', { class: 'metrics' },
    el('tr', {}, el('th', { text: 'latency (ms)' }), cols.map((c) => el('th', { text: c }))),
    Object.entries(latency ?? {}).map(([name, s]) =>
      el('tr', {}, el('td', { text: name.replace(/_ms$/, '').toUpperCase() }),
        cols.map((c) => el('td', { text: fmt(s?.[c]) })))));
}

function otherTable(metrics) {
  const rows = [];
  for (const [group, values] of Object.entries(metrics)) {
    if (group === 'config' || group === 'latency' || typeof values !== 'object' || values === null) continue;
    for (const [k, v] of Object.entries(values)) {
      if (typeof v === 'object') continue;
      rows.push(el('tr', {}, el('td', { text: `${group}.${k}` }), el('td', { text: fmt(v) })));
    }
  }
  return el('table', { class: 'metrics' },
    el('tr', {}, el('th', { text: 'metric' }), el('th', { text: 'value' })), rows);
}

export function summaryTables(metrics) {
  return el('div', { class: 'tables' }, latencyTable(metrics.latency), otherTable(metrics));
}

export function configDetails(config) {
  return el('details', {}, el('summary', { text: 'Resolved configuration (every scenario key)' }),
    el('pre', { class: 'config', text: JSON.stringify(config, null, 2) }));
}
