import assert from 'node:assert/strict';
import { STEP_BACKOFF_BASE_MS, STEP_BACKOFF_CAP_MS, backoffMs } from '../../src/agent/retry';

describe('agent retry back-off', () => {
  it('waits between half and all of an exponentially growing ceiling', () => {
    for (const retry of [1, 2, 3, 4]) {
      const ceiling = STEP_BACKOFF_BASE_MS * 2 ** (retry - 1);
      assert.equal(
        backoffMs(retry, () => 0),
        ceiling / 2,
      );
      assert.equal(
        backoffMs(retry, () => 0.999_999),
        ceiling,
      );
    }
  });

  it('never waits longer than the cap, however many retries', () => {
    assert.equal(
      backoffMs(30, () => 0.999_999),
      STEP_BACKOFF_CAP_MS,
    );
  });
});
