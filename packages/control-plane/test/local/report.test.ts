import assert from 'node:assert/strict';
import { parseGitHubOutput } from '../../src/local/cache-demo';
import { formatSeconds, percentile, table } from '../../src/local/report';

describe('local report helpers', () => {
  it('takes the nearest-rank percentile', () => {
    assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
    assert.equal(percentile([5, 1, 4, 2, 3], 95), 5);
    assert.equal(percentile([], 50), 0);
  });

  it('formats short durations in seconds and long ones in minutes', () => {
    assert.equal(formatSeconds(83_400), '83.4s');
    assert.equal(formatSeconds(723_000), '12m03s');
  });

  it('pads table columns to their widest cell', () => {
    const lines = table(['a', 'bb'], [['xxx', 1]]).split('\n');
    assert.equal(lines[0], '  a    bb');
    assert.equal(lines[2], '  xxx   1');
  });

  it('reads action outputs from GITHUB_OUTPUT, heredoc and plain forms', () => {
    const text = 'cache-hit<<ghadelimiter_1\ntrue\nghadelimiter_1\nkey=abc\n';
    assert.deepEqual(parseGitHubOutput(text), { 'cache-hit': 'true', key: 'abc' });
  });
});
