// The web app served by `tokenfab serve`: edit a scenario, run it on the server, draw the results.
import { injectStyle, el, fmt, describeConfig } from './dom.js';
import { summaryCards, summaryTables, configDetails } from './summary.js';
import { simulationCharts, destroyCharts } from './charts.js';

const $ = (id) => document.getElementById(id);

// Scenario keys the pickers edit in the YAML text: [select id, regex of the line, catalog list].
const PICKS = [
  ['pick-model', /^(model:[ \t]*)([^\s#]+)/m, 'models'],
  ['pick-gpu', /^([ \t]+gpu:[ \t]*)([^\s#]+)/m, 'gpus'],
  ['pick-engine', /^([ \t]+profile:[ \t]*)([^\s#]+)/m, 'engines'],
];

function status(text) {
  $('status').textContent = text;
}

function showError(message) {
  $('error').hidden = !message;
  $('error').textContent = message ? `error: ${message}` : '';
}

function catalogTable(title, columns, rows) {
  return el('div', {}, el('h3', { text: `${title} (${rows.length})` }),
    el('table', { class: 'metrics' },
      el('tr', {}, columns.map(([, head]) => el('th', { text: head }))),
      rows.map((r) => el('tr', {}, columns.map(([key]) => el('td', { text: fmt(r[key]) }))))));
}

function renderCatalog(c) {
  $('catalog').replaceChildren(
    catalogTable('GPUs', [['id', 'id'], ['bf16_tflops', 'BF16 TF'], ['fp8_tflops', 'FP8 TF'],
      ['hbm_gb', 'HBM GB'], ['hbm_tb_s', 'HBM TB/s'], ['tdp_w', 'TDP W']], c.gpus),
    catalogTable('Models', [['id', 'id'], ['params_b', 'params B'], ['active_b', 'active B'],
      ['layers', 'layers'], ['experts', 'experts'], ['attention', 'attention']], c.models),
    catalogTable('Engines', [['id', 'id'], ['name', 'name'], ['max_batch_size', 'max batch'],
      ['max_num_tokens', 'max tokens']], c.engines),
    catalogTable('Systems', [['id', 'id'], ['gpu', 'gpu'], ['gpus', 'GPUs'], ['power_kw', 'kW']], c.systems));
  for (const [id, , list] of PICKS) {
    $(id).replaceChildren(...(c[list] ?? []).map((item) => el('option', { value: item.id, text: item.id })));
  }
  syncPicks();
}

// Selects show what the YAML says.
function syncPicks() {
  const text = $('scenario').value;
  for (const [id, re] of PICKS) {
    const m = text.match(re);
    if (m && [...$(id).options].some((o) => o.value === m[2])) $(id).value = m[2];
  }
}

function applyPick(id, re) {
  const value = $(id).value;
  const text = $('scenario').value;
  if (!re.test(text)) {
    status(`the scenario has no line for ${id.replace('pick-', '')}; edit the text`);
    return;
  }
  $('scenario').value = text.replace(re, (_, head) => head + value);
}

function renderResults(r, seconds) {
  destroyCharts();
  const m = r.metrics;
  $('results').replaceChildren(
    el('h2', { text: 'Summary' }),
    el('p', { class: 'muted', text: `${describeConfig(m.config)}; ${fmt(m.requests?.completed)} requests ` +
      `over ${fmt(m.sim?.span_s)} s simulated (${seconds.toFixed(2)} s round trip)` }),
    summaryCards(m),
    el('h2', { text: 'Charts' }), simulationCharts(r.charts, m),
    el('h2', { text: 'All metrics' }), summaryTables(m), configDetails(m.config));
}

async function run() {
  showError('');
  $('run').disabled = true;
  status('running…');
  const t0 = performance.now();
  try {
    const resp = await fetch('api/simulate', { method: 'POST', body: $('scenario').value,
      headers: { 'Content-Type': 'application/yaml' } });
    const body = await resp.json();
    if (!resp.ok) {
      showError(body.error ?? `HTTP ${resp.status}`);
      status('failed');
      return;
    }
    renderResults(body, (performance.now() - t0) / 1000);
    status('done');
  } catch (e) {
    showError(String(e));
    status('failed');
  } finally {
    $('run').disabled = false;
  }
}

async function loadDefault() {
  $('scenario').value = await (await fetch('api/default')).text();
  syncPicks();
}

async function start() {
  injectStyle();
  $('run').addEventListener('click', run);
  $('reset').addEventListener('click', loadDefault);
  $('scenario').addEventListener('input', syncPicks);
  for (const [id, re] of PICKS) $(id).addEventListener('change', () => applyPick(id, re));
  try {
    await loadDefault();
    renderCatalog(await (await fetch('api/catalog')).json());
    status('ready');
  } catch (e) {
    showError(`cannot reach the tokenfab server: ${e}`);
  }
  document.body.setAttribute('data-ready', '1');
}

start();
