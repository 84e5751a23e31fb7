/**
 * The GitHub Actions runner release Harrier installs, pinned with its SHA-256 per architecture.
 *
 * Source of the checksums: the "SHA-256 Checksums" block of the actions/runner release notes
 * (https://github.com/actions/runner/releases/tag/v2.329.0), the same values GitHub prints on
 * "New self-hosted runner" for that version. To pin another version, set `harrier:runnerVersion`
 * together with `harrier:runnerSha256X64` / `harrier:runnerSha256Arm64` from its release notes.
 */
export type Architecture = 'x64' | 'arm64';

export const DEFAULT_RUNNER_VERSION = '2.329.0';

export const RUNNER_SHA256: Readonly<Record<string, Readonly<Record<Architecture, string>>>> = {
  '2.329.0': {
    x64: '194f1e1e4bd02f80b7e9633fc546084d8d4e19f3928a324d512ea53430102e1d',
    arm64: '56768348b3d643a6a29d4ad71e9bdae0dc0ef1eb01afe0f7a8ee097b039bfaaf',
  },
};

/** `node24` actions need runner 2.327.1 or newer (GitHub's Node 20 end-of-life notice). */
export const MIN_RUNNER_VERSION = '2.327.1';

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

export function runnerTarballUrl(version: string, architecture: Architecture): string {
  return `https://github.com/actions/runner/releases/download/v${version}/actions-runner-linux-${architecture}-${version}.tar.gz`;
}
