import assert from 'node:assert/strict';
import { packageName } from '../src/index';

describe('infra toolchain', () => {
  it('runs its tests on Node 24', () => {
    assert.equal(process.versions.node.split('.')[0], '24');
    assert.equal(packageName, '@harrier/infra');
  });
});
