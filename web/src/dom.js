// Small DOM and number-formatting helpers shared by the report and the web app.
import css from './style.css';

export function injectStyle() {
  if (document.getElementById('tokenfab-style')) return;
  const style = document.createElement('style');
  style.id = 'tokenfab-style';
  style.textContent = css;
  document.head.appendChild(style);
}

// el('div', {class: 'card'}, child, 'text', ...): children may be nodes, strings or null.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('data-')) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

// Numbers for people: thousands grouped, about four significant digits.
export function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (typeof v !== 'number') return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (Number.isInteger(v) && a < 1e15) return v.toLocaleString('en-US');
  if (a >= 1000) return v.toLocaleString('en-US', { maximumFractionDigits: 0 });
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

// "llama-3.1-70b on 8 x h100-sxm (tp=8 pp=1 ep=1, 1 replica), fp8, engine vllm, poisson workload"
export function describeConfig(c) {
  if (!c) return '';
  const p = c.parallelism ?? {};
  const parts = [`${c.model ?? '?'} on ${c.num_gpus ?? '?'} x ${c.hardware?.gpu ?? '?'}`];
  if (p.tp !== undefined) {
    const reps = p.replicas ?? 1;
    parts[0] += ` (tp=${p.tp} pp=${p.pp} ep=${p.ep}, ${reps} replica${reps === 1 ? '' : 's'})`;
  }
  if (c.precision?.weights) parts.push(`${c.precision.weights} weights`);
  if (c.engine?.profile) parts.push(`engine ${c.engine.profile}`);
  if (c.workload?.kind) parts.push(`${c.workload.kind} workload`);
  return parts.join(', ');
}
