// Bundles the report and web-app scripts (with Chart.js) for embedding in the tokenfab binary.
// Usage: node build.mjs [OUTDIR]   (default: dist/). CMake runs it at build time.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(process.argv[2] ?? path.join(here, 'dist'));

await build({
  entryPoints: {
    'report.bundle': path.join(here, 'src/report.js'),
    'app.bundle': path.join(here, 'src/app.js'),
  },
  outdir,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  loader: { '.css': 'text' },
  legalComments: 'eof',
  logLevel: 'warning',
});
