import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runnerEnvironment, spawnRunner } from '../../src/agent/runner-process';

describe('agent runner process', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'harrier-runner-'));
    // Stands in for run.sh: records its own /proc cmdline and the two variables, exits with 7.
    await writeFile(
      join(dir, 'run.sh'),
      [
        '#!/bin/sh',
        'tr "\\0" " " < /proc/$$/cmdline > "$PWD/cmdline"',
        'printf "%s" "$ACTIONS_RUNNER_INPUT_JITCONFIG" > "$PWD/jit"',
        'printf "%s" "$HARRIER_CACHE_ROOT" > "$PWD/cache-root"',
        'exit 7',
        '',
      ].join('\n'),
    );
    await chmod(join(dir, 'run.sh'), 0o755);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('starts a real process whose command line holds no config and whose environment does', async () => {
    const secret = 'eyJ2ZXJ5IjoiIHNlY3JldCJ9-jit-config';
    const code = await spawnRunner({
      command: join(dir, 'run.sh'),
      args: [],
      cwd: dir,
      env: runnerEnvironment({
        jitConfig: secret,
        cacheRoot: '/mnt/harrier-cache',
        user: 'runner',
        home: dir,
      }),
    });
    assert.equal(code, 7);
    assert.ok(!(await readFile(join(dir, 'cmdline'), 'utf8')).includes(secret));
    assert.equal(await readFile(join(dir, 'jit'), 'utf8'), secret);
    assert.equal(await readFile(join(dir, 'cache-root'), 'utf8'), '/mnt/harrier-cache');
  });

  it('does not hand the agent environment to the runner', () => {
    const env = runnerEnvironment({ jitConfig: 'c', cacheRoot: '/c', user: 'runner', home: '/home/runner' });
    assert.deepEqual(Object.keys(env).sort(), [
      'ACTIONS_RUNNER_INPUT_JITCONFIG',
      'HARRIER_CACHE_ROOT',
      'HOME',
      'LANG',
      'LOGNAME',
      'PATH',
      'USER',
    ]);
  });
});
