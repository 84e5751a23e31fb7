// The user's guide stays true to what is built: its links resolve, and the configuration reference
// names every input of the setup action and of the cache actions' docs nothing that does not exist.
import assert from 'node:assert/strict';
import { existsSync, globSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_KEYS } from '../../infra/src/config';
import { ConfigInputs } from '../src/constants';
import { ALL_INPUT_NAMES } from '../src/inputs';
import { repoRoot } from './helpers';

const guide = globSync('docs/*.md', { cwd: repoRoot }).sort();
const markdown = [...guide, 'examples/bootstrap-oidc/README.md', 'packages/setup-action/README.md'];

describe('user guide', () => {
  it('has the pages the README links to', () => {
    for (const page of [
      'README.md',
      'getting-started.md',
      'configuration.md',
      'how-it-works.md',
      'costs.md',
      'troubleshooting.md',
      'upgrading-and-uninstalling.md',
      'design-decisions.md',
    ])
      assert.ok(guide.includes(`docs/${page}`), `docs/${page} missing`);
  });

  for (const file of markdown)
    it(`${file} links only to files that exist`, () => {
      const text = readFileSync(join(repoRoot, file), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        assert.ok(existsSync(join(repoRoot, dirname(file), target!)), `${file} → ${target}`);
      }
    });

  it('documents every setup action input in the configuration reference', () => {
    const reference = readFileSync(join(repoRoot, 'docs', 'configuration.md'), 'utf8');
    for (const input of ALL_INPUT_NAMES)
      assert.ok(reference.includes(`\`${input}\``), `${input} undocumented`);
  });

  it('names only inputs the setup action has in the example setup workflow', () => {
    const workflow = parse(readFileSync(join(repoRoot, 'examples', 'setup.yml'), 'utf8'));
    const step = workflow.jobs.setup.steps.find((s: { uses?: string }) => s.uses?.includes('setup-action'));
    for (const input of Object.keys(step.with))
      assert.ok(ALL_INPUT_NAMES.includes(input), `unknown input ${input}`);
  });

  it('draws the architecture as a Mermaid diagram', () => {
    assert.match(readFileSync(join(repoRoot, 'docs', 'how-it-works.md'), 'utf8'), /```mermaid\nflowchart/);
  });

  it("states the infra program's own default for every config key with a plain default", () => {
    const reference = readFileSync(join(repoRoot, 'docs', 'configuration.md'), 'utf8');
    let checked = 0;
    for (const [input, key] of Object.entries(ConfigInputs)) {
      const fallback: string | undefined = CONFIG_KEYS[key].default;
      if (fallback === undefined || !/^[\w./-]+$/.test(fallback)) continue; // required, or described in words
      const row = reference.split('\n').find((line) => line.startsWith(`| \`${input}\``));
      assert.ok(row, `no row for ${input}`);
      assert.ok(
        row.includes(`\`${fallback}\``),
        `${input}: the infra default is ${fallback}; the row says ${row}`,
      );
      checked++;
    }
    assert.ok(checked >= 15, `only ${checked} defaults checked`);
  });
});
