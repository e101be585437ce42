// Entry of the self-contained HTML report: reads the JSON embedded in the page and draws it.
import { injectStyle, el, describeConfig } from './dom.js';
import { summaryCards, summaryTables, configDetails } from './summary.js';
import { simulationCharts, validationCharts } from './charts.js';
import { validationPoints, validationTables } from './validation.js';

function renderSimulation(root, data) {
  const m = data.metrics ?? {};
  root.append(
    el('header', { class: 'top' }, el('h1', { text: data.title ?? 'tokenfab simulation report' }),
      el('div', { class: 'sub', text: describeConfig(m.config) })),
    el('main', {},
      el('h2', { text: 'Summary' }), summaryCards(m),
      el('h2', { text: 'Charts' }), simulationCharts(data.charts ?? {}, m),
      el('h2', { text: 'All metrics' }), summaryTables(m),
      el('h2', { text: 'Scenario' }), configDetails(m.config ?? {}),
      el('p', { class: 'muted', text: data.generator ?? '' })));
}

function renderValidation(root, data) {
  const v = data.validation ?? {};
  root.append(
    el('header', { class: 'top' }, el('h1', { text: data.title ?? 'tokenfab validation report' }),
      el('div', { class: 'sub', text: 'predictions of the twin against published measurements' })),
    el('main', {},
      el('h2', { text: 'Predicted vs measured' }), validationCharts(validationPoints(v)),
      el('h2', { text: 'Details' }), validationTables(v),
      el('p', { class: 'muted', text: data.generator ?? '' })));
}

function start() {
  injectStyle();
  const data = JSON.parse(document.getElementById('tokenfab-data').textContent);
  const root = document.getElementById('report');
  if (data.kind === 'validation') renderValidation(root, data);
  else renderSimulation(root, data);
  document.body.setAttribute('data-ready', '1');
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
