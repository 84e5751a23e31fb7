import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  actionDirFromEntry,
  installCommandFor,
  ProgramNotFoundError,
  resolveProgramDir,
} from '../src/program';
import { makeProgramDir, packageDir, repoRoot, tempDir } from './helpers';

describe('program location', () => {
  it('finds the action directory from the bundle the runner starts', () => {
    assert.equal(
      actionDirFromEntry('/runner/_actions/acme/harrier/v1/packages/setup-action/dist/index.js'),
      '/runner/_actions/acme/harrier/v1/packages/setup-action',
    );
  });

  it('uses the root of the Harrier checkout holding the action when program-dir is empty', () => {
    // This repository is laid out exactly as the runner downloads it for the subdirectory form.
    assert.equal(resolveProgramDir(undefined, packageDir, '/elsewhere'), repoRoot);
  });

  it('resolves a relative program-dir against the workspace', () => {
    const program = makeProgramDir();
    const [parent, name] = [join(program, '..'), program.split('/').pop()!];
    assert.equal(resolveProgramDir(name, '/unused', parent), program);
  });

  it('tells how to fix a directory without Pulumi.yaml', () => {
    const empty = tempDir('empty');
    assert.throws(
      () => resolveProgramDir(empty, '/unused', '/'),
      (error: unknown) =>
        error instanceof ProgramNotFoundError && /Point program-dir at a checkout/.test(error.message),
    );
    assert.throws(
      () => resolveProgramDir(undefined, join(empty, 'a', 'b'), '/'),
      (error: unknown) =>
        error instanceof ProgramNotFoundError &&
        /uses: <owner>\/harrier\/packages\/setup-action/.test(error.message),
    );
  });
});

describe('program dependencies', () => {
  it('installs nothing when node_modules is there', () => {
    assert.equal(installCommandFor(makeProgramDir(), 'npm ci'), undefined);
  });

  it('runs the package manager the program pins, through npx', () => {
    const dir = tempDir('pnpm');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ packageManager: 'pnpm@10.34.9+sha512.abc' }));
    assert.equal(installCommandFor(dir, undefined), 'npx --yes pnpm@10.34.9 install --frozen-lockfile');
  });

  it('uses npm ci for an npm lockfile, and the install-command input over either', () => {
    const dir = tempDir('npm');
    writeFileSync(join(dir, 'package.json'), '{}');
    writeFileSync(join(dir, 'package-lock.json'), '{}');
    assert.equal(installCommandFor(dir, undefined), 'npm ci');
    assert.equal(installCommandFor(dir, 'make deps'), 'make deps');
  });

  it('installs nothing for a program without package.json', () => {
    const dir = tempDir('bare');
    mkdirSync(join(dir, 'x'));
    assert.equal(installCommandFor(dir, undefined), undefined);
  });
});
