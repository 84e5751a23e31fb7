import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { InputError } from '../src/inputs';
import { changeRows, nextStepsYaml, renderFailure, renderSummary, runsOnLine } from '../src/summary';

const outputs = {
  webhookUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/webhook',
  bucketName: 'harrier-cache-acme',
  dashboardUrl: 'https://console.aws.amazon.com/cloudwatch/home#dashboards:name=harrier',
  labels: ['self-hosted', 'harrier'],
  pools: { default: ['self-hosted', 'harrier'], gpu: ['self-hosted', 'gpu'] },
};

describe('job summary', () => {
  it('lists what changed, biggest first, unchanged last', () => {
    assert.deepEqual(changeRows({ same: 30, update: 2, create: 5, delete: 0 }), [
      ['create', 5],
      ['update', 2],
      ['same', 30],
    ]);
  });

  it('shows the outputs and the workflow lines to paste after an up', () => {
    const md = renderSummary({ command: 'up', stack: 'acme', changes: { create: 42 }, outputs });
    assert.match(md, /## Harrier: Deployed stack `acme`/);
    assert.match(md, /\| create \| 42 \|/);
    assert.match(md, /\| cache bucket \| `harrier-cache-acme` \|/);
    assert.ok(md.includes('| `runs-on` for pool gpu | `[self-hosted, gpu]` |'));
    assert.ok(md.includes('runs-on: [self-hosted, harrier]'));
    assert.ok(md.includes('uses: harrier/cache-load@v1') && md.includes('uses: harrier/cache-store@v1'));
  });

  it('pastes as valid YAML with the install between the two cache steps', () => {
    const doc = parse(nextStepsYaml(['self-hosted', 'harrier']));
    const steps = doc.jobs.build.steps.map((s: Record<string, string>) => s.uses ?? s.run);
    assert.deepEqual(doc.jobs.build['runs-on'], ['self-hosted', 'harrier']);
    assert.ok(steps.indexOf('harrier/cache-load@v1') < steps.indexOf('npm install'));
    assert.ok(steps.indexOf('npm install') < steps.indexOf('harrier/cache-store@v1'));
  });

  it('words a preview as what up would do, without next steps', () => {
    const md = renderSummary({ command: 'preview', stack: 'acme', changes: { create: 3 }, outputs: {} });
    assert.match(md, /What `up` would do/);
    assert.doesNotMatch(md, /Next steps/);
  });

  it('says so when nothing changed', () => {
    assert.match(
      renderSummary({ command: 'destroy', stack: 'acme', changes: {}, outputs: {} }),
      /No resource changes/,
    );
  });

  it('falls back to the self-hosted label when the stack reports none', () => {
    assert.equal(runsOnLine(undefined), 'runs-on: [self-hosted]');
  });

  it('lists every input problem when the inputs are wrong', () => {
    const md = renderFailure(new InputError(['fleet-size: bad', 'aws-region: bad']));
    assert.match(md, /## Harrier: setup failed \(InputError\)/);
    assert.ok(md.includes('  - fleet-size: bad\n  - aws-region: bad'));
  });

  it('cuts a long Pulumi error to its first lines and points at the log', () => {
    const long = new Error(Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n'));
    const md = renderFailure(long);
    assert.ok(md.includes('line 19') && !md.includes('line 20'));
    assert.match(md, /… 30 more lines in the step log/);
  });
});
