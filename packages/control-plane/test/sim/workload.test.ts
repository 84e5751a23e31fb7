import assert from 'node:assert/strict';
import { arrivals, WORKDAY_PROFILE } from '../../src/sim/workload';
import { seededRandom } from '../../src/standins/random';
import { countDoubleClaims } from '../../src/sim/simulation';

describe('simulator workload and claim accounting', () => {
  it('spreads a burst inside its minutes, ascending, the same for the same seed', () => {
    const a = arrivals({ kind: 'burst', minutes: 10 }, 50, seededRandom(3));
    const b = arrivals({ kind: 'burst', minutes: 10 }, 50, seededRandom(3));
    assert.deepEqual(a, b);
    assert.ok(a.every((t, i) => t < 10 * 60_000 && (i === 0 || t >= a[i - 1]!)));
  });

  it('follows the hourly profile of a day: none in an hour with weight 0', () => {
    const perHour = WORKDAY_PROFILE.map((w, h) => (h === 3 ? 0 : w));
    const hours = arrivals({ kind: 'day', perHour }, 2000, seededRandom(1)).map((t) =>
      Math.floor(t / 3_600_000),
    );
    assert.equal(hours.filter((h) => h === 3).length, 0);
    assert.ok(hours.filter((h) => h === 10).length > hours.filter((h) => h === 1).length * 5);
  });

  it('counts an instance claimed for a second job before its runner ran any job as a double claim', () => {
    const claims = [
      { t: 0, jobId: 1, instanceId: 'i-1', kind: 'warm' },
      { t: 10, jobId: 2, instanceId: 'i-1', kind: 'warm' },
    ];
    assert.equal(countDoubleClaims(claims, []), 1);
  });

  it('accepts a second claim after the instance ran a job in between (a reuse)', () => {
    const claims = [
      { t: 0, jobId: 1, instanceId: 'i-1', kind: 'warm' },
      { t: 100, jobId: 2, instanceId: 'i-1', kind: 'reused' },
    ];
    assert.equal(countDoubleClaims(claims, [{ runnerName: 'i-1', startedAt: 50 }]), 0);
  });
});
