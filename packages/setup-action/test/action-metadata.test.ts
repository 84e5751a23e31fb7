// action.yml, the code and the infra program must agree on every name.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_KEYS } from '../../infra/src/config';
import { ConfigInputs, Outputs } from '../src/constants';
import { ALL_INPUT_NAMES } from '../src/inputs';
import { packageDir } from './helpers';

interface ActionYml {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

const action = parse(readFileSync(join(packageDir, 'action.yml'), 'utf8')) as ActionYml;

describe('action metadata', () => {
  it('declares exactly the inputs the code reads', () => {
    assert.deepEqual(Object.keys(action.inputs).sort(), [...ALL_INPUT_NAMES].sort());
  });

  it('declares exactly the outputs the code sets', () => {
    assert.deepEqual(Object.keys(action.outputs).sort(), Object.values(Outputs).sort());
  });

  it('mirrors every harrier: config key of the infra program as a kebab-case input', () => {
    const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    assert.deepEqual(Object.values(ConfigInputs).sort(), Object.keys(CONFIG_KEYS).sort());
    for (const [input, key] of Object.entries(ConfigInputs)) assert.equal(input, kebab(key));
  });

  it('names its config key in each config input description', () => {
    for (const [input, key] of Object.entries(ConfigInputs))
      assert.ok(
        action.inputs[input]?.description.includes(`harrier:${key}`),
        `${input} does not mention harrier:${key}`,
      );
  });

  it('runs the committed bundle on node24', () => {
    assert.deepEqual(action.runs, { using: 'node24', main: 'dist/index.js' });
  });
});
