// Rebuilds every package's generated output (`pnpm build`) and fails when any file under a
// package's dist/ changed: the dist/ that GitHub runs (actions) and Pulumi deploys (Lambdas)
// must be exactly what the sources build. In CI (a clean clone) "before" is the committed dist/.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const packagesDir = join(root, 'packages');

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map((name) => join(dir, String(name)))
    .filter((file) => statSync(file).isFile());
}

function snapshot() {
  const hashes = new Map();
  for (const pkg of readdirSync(packagesDir)) {
    for (const file of listFiles(join(packagesDir, pkg, 'dist'))) {
      hashes.set(relative(root, file), createHash('sha256').update(readFileSync(file)).digest('hex'));
    }
  }
  return hashes;
}

const before = snapshot();
execFileSync('pnpm', ['-r', '--workspace-concurrency=1', '--if-present', 'run', 'build'], {
  cwd: root,
  stdio: 'inherit',
});
const after = snapshot();

const changed = [];
for (const [file, hash] of after)
  if (before.get(file) !== hash) changed.push(`${before.has(file) ? 'changed' : 'added'}: ${file}`);
for (const file of before.keys()) if (!after.has(file)) changed.push(`removed: ${file}`);

if (changed.length > 0) {
  console.error(`check-dist: the committed dist/ does not match its sources (${changed.length} files):`);
  for (const line of changed) console.error(`  ${line}`);
  console.error('check-dist: run `pnpm build` and commit the result.');
  process.exit(1);
}
console.log(`check-dist: ${after.size} generated files match their sources`);
