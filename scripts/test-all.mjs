// The README's test command: every check and every package's tests, then one total line
// "N passed, N failed" counting every test of every package. Exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const results = join(root, '.test-results');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

const checks = [
  ['check-dist', ['run', 'check-dist']],
  ['lint', ['run', 'lint']],
  ['typecheck', ['run', 'typecheck']],
];
const failedChecks = [];
const started = Date.now();
for (const [name, args] of checks) {
  console.log(`\n=== ${name}`);
  const t0 = Date.now();
  const { status } = spawnSync('pnpm', args, { cwd: root, stdio: 'inherit' });
  console.log(`=== ${name}: ${status === 0 ? 'ok' : 'FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (status !== 0) failedChecks.push(name);
}

const packages = readdirSync(join(root, 'packages')).filter((pkg) =>
  existsSync(join(root, 'packages', pkg, '.mocharc.json')),
);
const crashed = [];
for (const pkg of packages) {
  console.log(`\n=== tests: ${pkg}`);
  const t0 = Date.now();
  const { status } = spawnSync('pnpm', ['--silent', 'run', 'test'], {
    cwd: join(root, 'packages', pkg),
    stdio: 'inherit',
    env: { ...process.env, HARRIER_TEST_RESULTS: results },
  });
  console.log(`=== tests: ${pkg}: exit ${status} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (!existsSync(join(results, `${pkg}.json`))) crashed.push(pkg);
  else if (status !== 0 && JSON.parse(readFileSync(join(results, `${pkg}.json`), 'utf8')).failures === 0)
    crashed.push(pkg);
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of readdirSync(results)) {
  const counts = JSON.parse(readFileSync(join(results, file), 'utf8'));
  passed += counts.passes;
  failed += counts.failures;
  skipped += counts.pending;
}
failed += crashed.length; // a package whose runner died counts as one failure at least
console.log(`\n=== summary (${((Date.now() - started) / 1000).toFixed(0)} s)`);
if (failedChecks.length) console.log(`failed checks: ${failedChecks.join(', ')}`);
if (crashed.length) console.log(`test runs that crashed before reporting: ${crashed.join(', ')}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || failedChecks.length > 0 ? 1 : 0);
