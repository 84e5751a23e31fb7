import assert from 'node:assert/strict';
import { inputVariable, parseFileCommands } from './support/run-action';

describe('the runner emulation used by the end-to-end tests', () => {
  it('names inputs as the runner does: upper case, spaces to underscores, dashes kept', () => {
    assert.equal(inputVariable('restore-from-any-branch'), 'INPUT_RESTORE-FROM-ANY-BRANCH');
    assert.equal(inputVariable('my input'), 'INPUT_MY_INPUT');
  });

  it('parses the heredoc file-command format, multi-line values included', () => {
    const text =
      'a<<ghadelimiter_1\none\nghadelimiter_1\nb<<ghadelimiter_2\nx\ny\nghadelimiter_2\nc<<d\n\nd\n';
    assert.deepEqual(parseFileCommands(text), { a: 'one', b: 'x\ny', c: '' });
  });

  it('parses the single-line name=value format', () => {
    assert.deepEqual(parseFileCommands('stored=true\nkey=a=b\n'), { stored: 'true', key: 'a=b' });
  });

  it('refuses an unterminated value', () => {
    assert.throws(() => parseFileCommands('a<<END\nvalue\n'), /unterminated/);
  });
});
