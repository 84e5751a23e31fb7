import assert from 'node:assert/strict';
import { AgentConfigError, settingsFromEnv } from '../../src/agent/settings';

describe('agent settings from the unit environment', () => {
  it('defaults to no reuse window and a 900 s wait for the config', () => {
    const settings = settingsFromEnv({});
    assert.equal(settings.reuseWindowMinutes, 0);
    assert.equal(settings.jitWaitSeconds, 900);
    assert.equal(settings.runnerUid, undefined);
  });

  it('reads the reuse window and the runner ids', () => {
    const settings = settingsFromEnv({
      HARRIER_REUSE_WINDOW_MINUTES: '15',
      HARRIER_RUNNER_UID: '1001',
      HARRIER_RUNNER_GID: '1002',
    });
    assert.equal(settings.reuseWindowMinutes, 15);
    assert.equal(settings.runnerUid, 1001);
    assert.equal(settings.runnerGid, 1002);
  });

  it('reports every bad value at once', () => {
    assert.throws(
      () => settingsFromEnv({ HARRIER_REUSE_WINDOW_MINUTES: '-1', HARRIER_JIT_WAIT_SECONDS: 'soon' }),
      (error: unknown) => error instanceof AgentConfigError && error.problems.length === 2,
    );
  });
});
