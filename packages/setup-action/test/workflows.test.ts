// Every workflow and every action.yml in the repository, validated with GitHub's own parser
// (@actions/workflow-parser, the one behind the Actions language service). Files are globbed at
// test time, so actions and workflows added by others are checked too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, globSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { convertActionTemplate, parseAction } from '@actions/workflow-parser/actions/index';
import { parse } from 'yaml';
import { repoRoot } from './helpers';

const files = (pattern: string) => globSync(pattern, { cwd: repoRoot }).sort();
const read = (file: string) => readFileSync(join(repoRoot, file), 'utf8');
/** CloudFormation templates share the examples folder; they are checked in bootstrap-oidc.test.ts. */
const isCloudFormation = (file: string) => /^AWSTemplateFormatVersion:/m.test(read(file));

const workflows = [...files('examples/**/*.{yml,yaml}'), ...files('.github/workflows/*.{yml,yaml}')].filter(
  (file) => !isCloudFormation(file),
);
const actions = files('packages/*/action.{yml,yaml}');

async function workflowErrors(file: string): Promise<string[]> {
  const result = parseWorkflow({ name: file, content: read(file) }, new NoOperationTraceWriter());
  const errors = result.context.errors.getErrors().map((e) => e.message);
  if (result.value === undefined) return errors.length > 0 ? errors : [`${file}: empty`];
  // The conversion checks what the schema cannot: expressions, needs, matrix and job shapes.
  const template = await convertWorkflowTemplate(result.context, result.value);
  return [...errors, ...(template.errors ?? []).map((e) => e.Message)].filter(
    (e, i, all) => all.indexOf(e) === i,
  );
}

function actionErrors(file: string): string[] {
  const result = parseAction({ name: file, content: read(file) }, new NoOperationTraceWriter());
  const errors = result.context.errors.getErrors().map((e) => e.message);
  if (result.value === undefined) return errors;
  convertActionTemplate(result.context, result.value);
  return result.context.errors.getErrors().map((e) => e.message);
}

describe('workflow and action files', () => {
  it('finds the files it validates', () => {
    assert.ok(workflows.includes('examples/setup.yml') && workflows.includes('examples/node-ci.yml'));
    assert.ok(workflows.includes('.github/workflows/release.yml'));
    assert.ok(actions.includes('packages/setup-action/action.yml'));
  });

  for (const file of workflows)
    it(`${file} is a valid workflow`, async () => {
      assert.deepEqual(await workflowErrors(file), []);
    });

  for (const file of actions) {
    it(`${file} is valid action metadata`, () => {
      assert.deepEqual(actionErrors(file), []);
    });

    // Rules the schema does not express, that the runner enforces when the step starts.
    it(`${file} runs on node24 from files that exist, and describes every input and output`, () => {
      const action = parse(read(file)) as {
        inputs?: Record<string, { description?: string }>;
        outputs?: Record<string, { description?: string }>;
        runs: Record<string, string>;
      };
      const dir = join(repoRoot, file, '..');
      assert.equal(action.runs.using, 'node24', 'GitHub ended node20 for actions in 2026');
      for (const key of ['pre', 'main', 'post'])
        if (action.runs[key])
          assert.ok(
            existsSync(join(dir, action.runs[key])),
            `${relative(repoRoot, dir)}/${action.runs[key]} missing`,
          );
      for (const [name, spec] of [
        ...Object.entries(action.inputs ?? {}),
        ...Object.entries(action.outputs ?? {}),
      ])
        assert.ok(spec.description?.trim(), `${name} has no description`);
    });
  }

  // The runner runs `run:` steps with `bash -e {0}` on Linux; shellcheck them the same way, with
  // each ${{ expression }} standing in as a plain word (the runner substitutes it before bash runs).
  for (const file of workflows)
    it(`${file}: every run step passes shellcheck`, function () {
      if (spawnSync('shellcheck', ['--version']).status !== 0) this.skip();
      const workflow = parse(read(file)) as { jobs: Record<string, { steps?: { run?: string }[] }> };
      const scripts = Object.values(workflow.jobs).flatMap((job) =>
        (job.steps ?? []).flatMap((step) => step.run ?? []),
      );
      for (const script of scripts) {
        const source = `#!/usr/bin/env bash\nset -e\n${script.replace(/\$\{\{[^}]*\}\}/g, 'EXPR')}`;
        const { status, stdout } = spawnSync('shellcheck', ['-s', 'bash', '-'], {
          input: source,
          encoding: 'utf8',
        });
        assert.equal(status, 0, stdout);
      }
    });

  it('catches a broken workflow (the check can fail)', () => {
    const broken =
      'on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v5\n        bogus: 1\n';
    const result = parseWorkflow({ name: 'broken.yml', content: broken }, new NoOperationTraceWriter());
    assert.deepEqual(
      result.context.errors.getErrors().map((e) => e.message),
      ["broken.yml (Line: 7, Col: 9): Unexpected value 'bogus'"],
    );
  });

  it('catches broken action metadata (the check can fail)', () => {
    const result = parseAction(
      { name: 'action.yml', content: 'name: x\nruns:\n  using: node24\n' },
      new NoOperationTraceWriter(),
    );
    assert.ok(
      result.context.errors
        .getErrors()
        .some((e) => /Required property is missing: description/.test(e.message)),
    );
  });
});
