// The committed bundle, run the way the runner runs it: `node <action>/dist/index.js` in a fresh
// process, inputs as INPUT_* variables, outputs and summary through the GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files, the stand-in Pulumi CLI first on PATH, no node_modules anywhere near.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir, runBundle, tempDir } from './helpers';

/** Lays out a Harrier checkout the way the runner downloads one for `uses: o/harrier/packages/setup-action@ref`. */
function harrierCheckout(): { root: string; actionDir: string } {
  const root = tempDir('checkout');
  const actionDir = join(root, 'packages', 'setup-action');
  mkdirSync(actionDir, { recursive: true });
  cpSync(join(packageDir, 'dist'), join(actionDir, 'dist'), { recursive: true });
  cpSync(join(packageDir, 'action.yml'), join(actionDir, 'action.yml'));
  writeFileSync(join(root, 'Pulumi.yaml'), 'name: harrier\nruntime: nodejs\nmain: packages/infra\n');
  mkdirSync(join(root, 'node_modules'));
  return { root, actionDir };
}

const inputs = {
  'github-org': 'acme',
  'github-token': 'ghp_bundleTokenNeverLogged',
  'aws-region': 'us-east-2',
  'state-bucket': 'acme-harrier-state',
};

describe('setup action bundle', () => {
  before(function () {
    if (!existsSync(join(packageDir, 'dist', 'index.js')))
      throw new Error('dist/index.js is missing: run `pnpm build`');
  });

  it('deploys from a Harrier checkout, finding the program two levels above the action', async () => {
    const { root, actionDir } = harrierCheckout();
    const { code, stdout, calls, outputs } = await runBundle(actionDir, inputs);
    assert.equal(code, 0, stdout);
    assert.ok(calls.length > 0 && calls.every((c) => c.cwd === root));
    assert.equal(outputs.bucket, 'harrier-cache-acme-0a1b2c');
    assert.equal(outputs['webhook-url'], 'https://abc123.execute-api.us-east-2.amazonaws.com/webhook');
  });

  it('writes the job summary with the runs-on line', async () => {
    const { actionDir } = harrierCheckout();
    const { summary } = await runBundle(actionDir, { ...inputs, labels: 'self-hosted, harrier' });
    assert.ok(summary.includes('runs-on: [self-hosted, harrier]'), summary);
  });

  it('keeps the token out of the log', async () => {
    const { actionDir } = harrierCheckout();
    const { stdout } = await runBundle(actionDir, inputs);
    assert.equal(stdout.split(inputs['github-token']).length, 2, 'only the ::add-mask:: line names it');
  });

  it('fails the step with every input problem and exit code 1', async () => {
    const { actionDir } = harrierCheckout();
    const { code, stdout, calls } = await runBundle(actionDir, { 'github-org': 'acme', 'fleet-size': '-1' });
    assert.equal(code, 1);
    assert.match(stdout, /^::error::The setup action's inputs have 4 problems:/m);
    assert.deepEqual(calls, []);
  });
});
