import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UnsafeArchiveError } from '../src/errors';
import { loadCache } from '../src/load';
import { assertSafeEntries, type ArchiveEntry } from '../src/safety';
import { decodeCQuoted, parseGnuListingLine } from '../src/tar-archive';
import { detectToolbox, type Toolbox } from '../src/tools';
import { recordingLogger, testContext } from './helpers/context';
import { craftTarZst, type CraftedMember } from './helpers/craft-tar';
import { NODE_ABI } from './helpers/harness';
import { plantEntry } from './helpers/plant';
import { cleanupScratch, tempDir } from './helpers/project';

/** Each archive, and the reason the listing check must give (not some later tool error). */
const MALICIOUS: Array<{ name: string; reason: RegExp; members: CraftedMember[] }> = [
  {
    name: 'an absolute member name',
    reason: /is an absolute path/,
    members: [{ name: '/ESCAPE/passwd', type: '0', content: 'x' }],
  },
  {
    name: 'a leading ..',
    reason: /contains "\.\."/,
    members: [{ name: '../ESCAPE', type: '0', content: 'x' }],
  },
  {
    name: 'a .. in the middle',
    reason: /contains "\.\."/,
    members: [{ name: 'pkg/../../ESCAPE', type: '0', content: 'x' }],
  },
  {
    name: 'an absolute symlink written through',
    reason: /points to the absolute path/,
    members: [
      { name: 'link', type: '2', linkname: '/ESCAPE-DIR' },
      { name: 'link/file', type: '0', content: 'x' },
    ],
  },
  {
    name: 'a symlink that climbs out',
    reason: /points outside the directory/,
    members: [{ name: 'pkg/link', type: '2', linkname: '../../ESCAPE' }],
  },
  {
    name: 'an inside symlink used to reach a climbing one',
    reason: /lies below the symlink/,
    members: [
      { name: 'self', type: '2', linkname: '.' },
      { name: 'self/up', type: '2', linkname: '..' },
      { name: 'self/up/ESCAPE', type: '0', content: 'x' },
    ],
  },
  {
    name: 'a hard link to a file outside',
    reason: /Hard link target .* contains "\.\."/,
    members: [{ name: 'pkg/hard', type: '1', linkname: '../ESCAPE' }],
  },
  {
    name: 'a device node',
    reason: /device, FIFO or other special file/,
    members: [{ name: 'dev', type: '3' }],
  },
];

describe('extraction never writes outside path', () => {
  let tools: Toolbox;
  before(async () => {
    tools = await detectToolbox();
  });
  after(cleanupScratch);

  for (const fallback of [false, true]) {
    for (const archive of MALICIOUS) {
      it(`refuses an entry with ${archive.name}${fallback ? ' (tar npm package path)' : ''}`, async () => {
        // The workspace sits one level below a directory where an escape would land.
        const sandbox = await tempDir('sandbox');
        const workspace = path.join(sandbox, 'ws');
        const modules = path.join(workspace, 'node_modules');
        await mkdir(modules, { recursive: true });
        await writeFile(path.join(modules, 'kept.txt'), 'original');
        const cacheRoot = await tempDir('cache-root');
        await plantEntry(cacheRoot, 'main', craftTarZst(archive.members));
        const log = recordingLogger();

        const result = await loadCache({
          context: testContext(workspace, await tempDir('runner-temp')),
          cacheRoot,
          path: modules,
          key: 'key-a',
          nodeAbi: NODE_ABI,
          mode: 'tar',
          restoreFromAnyBranch: false,
          log,
          tools: fallback ? { ...tools, gnuTar: false, zstd: false } : tools,
        });

        assert.equal(result.hit, false);
        assert.equal(log.warnings().length, 2, log.warnings().join('\n'));
        assert.match(log.warnings()[0]!, /Skipping cache entry/);
        assert.match(log.warnings()[0]!, archive.reason);
        assert.deepEqual(
          (await readdir(sandbox)).filter((name) => name.includes('ESCAPE')),
          [],
          'nothing was written next to the workspace',
        );
        assert.equal(existsSync('/ESCAPE'), false);
        assert.equal(await readFile(path.join(modules, 'kept.txt'), 'utf8'), 'original');
        assert.deepEqual(await readdir(workspace), ['node_modules']);
      });
    }
  }
});

describe('the archive listing check', () => {
  const ok = (entries: ArchiveEntry[]): void => assertSafeEntries(entries);
  const refused = (entries: ArchiveEntry[]): void =>
    assert.throws(() => assertSafeEntries(entries), UnsafeArchiveError);

  it('accepts a node_modules shape: ./, scoped packages, .bin symlinks into packages, hard links', () => {
    ok([
      { name: './', type: 'directory' },
      { name: './@scope/pkg/index.js', type: 'file' },
      { name: './.bin/tool', type: 'symlink', linkTarget: '../@scope/pkg/index.js' },
      { name: './pkg/self', type: 'symlink', linkTarget: '.' },
      { name: './pkg/copy.js', type: 'hardlink', linkTarget: './@scope/pkg/index.js' },
    ]);
  });

  it('refuses a symlink to the directory above the root, even spelled indirectly', () => {
    refused([{ name: './a/b/link', type: 'symlink', linkTarget: '../c/../../..' }]);
  });

  it('refuses a symlink as the archive root', () => {
    refused([{ name: './', type: 'symlink', linkTarget: 'x' }]);
  });

  it('refuses FIFOs and other special files', () => {
    refused([{ name: './fifo', type: 'other' }]);
  });
});

describe('GNU tar listing lines', () => {
  it('decode names with spaces, quotes, arrows and newlines exactly', () => {
    assert.deepEqual(
      parseGnuListingLine(
        'lrwxrwxrwx 0/0               0 2026-12-03 13:51 "./l nk -> \\"x\\"" -> "../d x\\nnext"',
      ),
      { name: './l nk -> "x"', type: 'symlink', linkTarget: '../d x\nnext' },
    );
    assert.deepEqual(parseGnuListingLine('hrw-r--r-- 0/0 0 2026-12-03 13:51 "./hard" link to "./a"'), {
      name: './hard',
      type: 'hardlink',
      linkTarget: './a',
    });
  });

  it('decode octal escapes back into UTF-8', () => {
    assert.equal(decodeCQuoted('caf\\303\\251'), 'café');
  });

  it('treat a line it cannot parse as an unsafe entry', () => {
    assert.equal(parseGnuListingLine('crw-r--r-- 0/0 1,3 2026-12-03 13:51 "./null"').type, 'other');
    assert.equal(parseGnuListingLine('garbage').type, 'other');
  });
});
