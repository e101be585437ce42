// Validation results (the JSON of `tokenfab validate`, see ValidationJson in src/study): the
// points to plot and the tables of error summaries and rows.
import { el, fmt } from './dom.js';

export function validationPoints(v) {
  return (v.rows ?? []).filter((r) => typeof r.predicted === 'number' && typeof r.measured === 'number');
}

function table(columns, rows) {
  return el('table', { class: 'metrics' },
    el('tr', {}, columns.map(([, title]) => el('th', { text: title }))),
    rows.map((r) => el('tr', {}, columns.map(([key]) => el('td', { text: fmt(r[key]) })))));
}

export function validationTables(v) {
  const parts = [];
  if (v.command) parts.push(el('pre', { class: 'config', text: v.command }));
  if (v.goal?.holdout_throughput) {
    const g = v.goal.holdout_throughput;
    parts.push(el('p', {}, `Holdout throughput: median APE ${fmt(g.median_ape_pct)}% ` +
      `(goal <= ${fmt(v.goal.median_ape_pct_max)}%), p90 APE ${fmt(g.p90_ape_pct)}% ` +
      `(goal <= ${fmt(v.goal.p90_ape_pct_max)}%): ${v.goal.met ? 'met' : 'not met'}.`));
  }
  if (Array.isArray(v.summaries) && v.summaries.length) {
    parts.push(el('h3', { text: 'Error summaries (APE = |predicted - measured| / measured)' }),
      table([['dimension', 'by'], ['value', 'group'], ['count', 'rows'], ['median_ape_pct', 'median APE %'],
        ['p90_ape_pct', 'p90 APE %'], ['max_ape_pct', 'max APE %'], ['median_ratio', 'median pred/meas']],
      v.summaries));
  }
  const rows = validationPoints(v);
  if (rows.length) {
    parts.push(el('h3', { text: 'Rows' }),
      table([['id', 'id'], ['split', 'split'], ['model', 'model'], ['gpu', 'gpu'], ['framework', 'framework'],
        ['metric', 'metric'], ['measured', 'measured'], ['predicted', 'predicted'], ['ape_pct', 'APE %']], rows));
  }
  if (Array.isArray(v.skipped) && v.skipped.length) {
    parts.push(el('h3', { text: 'Skipped rows' }), table([['id', 'id'], ['reason', 'reason']], v.skipped));
  }
  return el('div', {}, parts);
}
