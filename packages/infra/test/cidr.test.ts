import assert from 'node:assert/strict';
import { CidrError, splitCidr } from '../src/cidr';

describe('splitCidr', () => {
  it('splits a /16 into two /17 halves', () => {
    assert.deepEqual(splitCidr('10.72.0.0/16', 2), ['10.72.0.0/17', '10.72.128.0/17']);
  });
  it('rounds an odd count up to the next power of two', () => {
    assert.deepEqual(splitCidr('10.0.0.0/24', 3), ['10.0.0.0/26', '10.0.0.64/26', '10.0.0.128/26']);
  });
  it('refuses subnets smaller than /28', () => {
    assert.throws(() => splitCidr('10.0.0.0/27', 4), CidrError);
  });
  it('refuses a CIDR with host bits set', () => {
    assert.throws(() => splitCidr('10.0.0.1/16', 2), CidrError);
  });
  it('refuses something that is not a CIDR', () => {
    assert.throws(() => splitCidr('10.0.0/16', 2), CidrError);
  });
});
