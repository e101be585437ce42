// End-to-end test of the web front ends in headless Chromium (Debian's /usr/bin/chromium driven
// by playwright-core; no browser is downloaded):
//  1. `tokenfab serve --port 0`: load the page, see the catalog, run the default scenario, see
//     the summary numbers and the charts; run a broken scenario, see the CLI's error message.
//  2. `tokenfab simulate --report`: open the report from file:// with the network cut off,
//     see its numbers and charts.
// Screenshots go to $TOKENFAB_SCREENSHOT_DIR (default: docs/screenshots/).
// Usage: TOKENFAB_CLI=build/tokenfab node web/tests/e2e.mjs. Exits 77 (ctest: skipped) when
// Chromium is not installed.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = path.dirname(fileURLToPath(import.meta.url));
const chromium = process.env.TOKENFAB_CHROMIUM ?? '/usr/bin/chromium';
const cli = process.env.TOKENFAB_CLI;
const shots = path.resolve(process.env.TOKENFAB_SCREENSHOT_DIR ?? path.join(here, '../../docs/screenshots'));

if (!fs.existsSync(chromium)) {
  console.log(`SKIP: ${chromium} not found; install Debian's chromium (make deps) to run the browser test`);
  process.exit(77);
}
assert.ok(cli && fs.existsSync(cli), 'set TOKENFAB_CLI to the tokenfab binary');
const { chromium: pw } = await import('playwright-core');
fs.mkdirSync(shots, { recursive: true });
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tokenfab-e2e-'));

// Starts `tokenfab serve --port 0` and resolves with its URL, read from its first line.
function startServer() {
  const child = spawn(cli, ['serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URL from tokenfab serve: ${out}`)), 30000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/http:\/\/[\d.]+:\d+\//);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[0] });
      }
    });
    child.on('exit', (code) => reject(new Error(`tokenfab serve exited with ${code}: ${out}`)));
  });
}

// Playwright gives the browser a fresh, empty profile (--user-data-dir) of its own.
async function launch() {
  return pw.launch({
    executablePath: chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

async function testWebApp(browser) {
  const { child, url } = await startServer();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const failures = [];
    page.on('pageerror', (e) => failures.push(String(e)));
    await page.goto(url);
    await page.waitForSelector('body[data-ready="1"]');
    assert.match(await page.inputValue('#scenario'), /model:/, 'default scenario loaded');
    assert.ok(await page.locator('#catalog table').count() >= 3, 'catalog tables shown');

    await page.click('#run');
    await page.waitForSelector('#summary-cards .card', { timeout: 60000 });
    const throughput = await page.textContent('[data-metric="throughput.output_tokens_per_s"] .value');
    assert.match(throughput, /^[\d,.]+$/, `throughput is a number: ${throughput}`);
    assert.ok(parseFloat(throughput.replace(/,/g, '')) > 0, 'throughput > 0');
    const charts = await page.locator('canvas[data-chart]').count();
    assert.ok(charts >= 5, `charts drawn: ${charts}`);
    const box = await page.locator('canvas[data-chart="ttft-cdf"]').boundingBox();
    assert.ok(box.width > 100 && box.height > 100, 'TTFT chart has a size');
    await page.screenshot({ path: path.join(shots, 'webapp.png'), fullPage: false });

    // A broken scenario shows the message the CLI gives, and the API answers 400.
    await page.fill('#scenario', 'model: no-such-model\n');
    await page.click('#run');
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await page.textContent('#error'), /no-such-model/);
    const resp = await fetch(new URL('api/simulate', url), { method: 'POST', body: 'workload: {num_requests: 300000}\n' });
    assert.equal(resp.status, 400);
    assert.match((await resp.json()).error, /at most 200000 requests/);
    assert.deepEqual(failures, [], 'no script errors');
    console.log(`web app: OK (${charts} charts, ${throughput} output tok/s)`);
  } finally {
    child.kill('SIGTERM');
  }
}

async function testReport(browser) {
  const report = path.join(scratch, 'report.html');
  const trace = path.join(scratch, 'trace.json');
  execFileSync(cli, ['simulate', '-q', '--report', report, '--trace', trace]);
  JSON.parse(fs.readFileSync(trace, 'utf8'));
  const context = await browser.newContext({ viewport: { width: 1440, height: 1100 } });
  const requests = [];
  await context.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.request().url().startsWith('file:') ? route.continue() : route.abort();
  });
  const page = await context.newPage();
  const failures = [];
  page.on('pageerror', (e) => failures.push(String(e)));
  await page.goto(`file://${report}`);
  await page.waitForSelector('body[data-ready="1"]');
  const ttft = await page.textContent('[data-metric="latency.ttft_ms.p99"] .value');
  assert.match(ttft, /^[\d,.]+$/, `TTFT p99 is a number: ${ttft}`);
  const charts = await page.locator('canvas[data-chart]').count();
  assert.equal(charts, 7, 'CDFs, throughput, queue, KV and batch charts');
  assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'the report fetches nothing');
  assert.deepEqual(failures, [], 'no script errors');
  await page.screenshot({ path: path.join(shots, 'report.png'), fullPage: false });
  console.log(`report: OK (${charts} charts, ${(fs.statSync(report).size / 1024).toFixed(0)} KiB)`);
}

const browser = await launch();
try {
  await testWebApp(browser);
  await testReport(browser);
} finally {
  await browser.close();
  fs.rmSync(scratch, { recursive: true, force: true });
}
console.log(`screenshots in ${shots}`);
