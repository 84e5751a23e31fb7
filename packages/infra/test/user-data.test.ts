import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RUNNER_SHA256 } from '../src/runner-release';
import { USER_DATA_LIMIT_BYTES, UserDataError, renderUserData, type UserDataInput } from '../src/user-data';

const base: UserDataInput = {
  architecture: 'x64',
  runnerVersion: '2.329.0',
  runnerSha256: RUNNER_SHA256['2.329.0']!.x64,
  bucketName: 'harrier-cache-20261203abcdef',
  region: 'eu-west-1',
  reuseWindowMinutes: 0,
};

/** Runs the real shellcheck binary on the script (from stdin) and returns its findings. */
async function shellcheck(script: string): Promise<string> {
  const child = promisify(execFile)('shellcheck', ['--shell=bash', '--severity=style', '-'], {
    encoding: 'utf8',
  });
  child.child.stdin?.end(script);
  try {
    await child;
    return '';
  } catch (error: unknown) {
    return (error as { stdout?: string }).stdout ?? String(error);
  }
}

describe('bootstrap user data', () => {
  for (const architecture of ['x64', 'arm64'] as const) {
    const script = renderUserData({
      ...base,
      architecture,
      runnerSha256: RUNNER_SHA256['2.329.0']![architecture],
    });

    it(`passes shellcheck for ${architecture}`, async () => {
      assert.equal(await shellcheck(script), '');
    });

    it(`downloads the ${architecture} runner and Mountpoint builds and checks the runner checksum`, () => {
      assert.ok(script.includes(`actions-runner-linux-${architecture}-2.329.0.tar.gz`));
      assert.ok(script.includes(`MOUNTPOINT_ARCH='${architecture === 'x64' ? 'x86_64' : 'arm64'}'`));
      assert.ok(script.includes(`RUNNER_SHA256='${RUNNER_SHA256['2.329.0']![architecture]}'`));
      assert.match(script, /sha256sum --check --strict/);
    });

    it(`fits EC2's 16 KB user-data limit for ${architecture}`, () => {
      assert.ok(Buffer.byteLength(script) < USER_DATA_LIMIT_BYTES);
    });
  }

  const script = renderUserData(base);

  it('mounts the bucket on every boot with the runner ids and the write options', () => {
    assert.match(script, /WantedBy=multi-user.target/);
    assert.match(
      script,
      /mount-s3 --region \$CACHE_REGION \$CACHE_BUCKET \$CACHE_ROOT --allow-delete --allow-overwrite --allow-other --uid \$RUNNER_UID --gid \$RUNNER_GID/,
    );
    assert.ok(script.includes("readonly CACHE_ROOT='/mnt/harrier-cache'"));
    assert.ok(script.includes("readonly CACHE_BUCKET='harrier-cache-20261203abcdef'"));
  });

  it('verifies the Mountpoint package signature against the published key fingerprint', () => {
    assert.match(script, /gpg --batch --verify "\$work\/mount-s3.deb.asc" "\$work\/mount-s3.deb"/);
    assert.ok(script.includes('673FE4061506BB469A0EF857BE397A52B086DA5A'));
  });

  it('installs Docker, squashfs-tools and zstd, and gives the runner user passwordless sudo', () => {
    assert.match(script, /docker\.io squashfs-tools zstd/);
    assert.match(script, /NOPASSWD:ALL/);
    assert.match(script, /--groups docker/);
  });

  it('installs the agent from the read-only harrier/ prefix and runs it with the runner’s own Node', () => {
    assert.ok(script.includes('readonly AGENT_SOURCE="$CACHE_ROOT/harrier/agent.mjs"'));
    assert.ok(script.includes("readonly NODE_BIN='/opt/actions-runner/externals/node24/bin/node'"));
    assert.match(script, /ExecStart=\$NODE_BIN \$AGENT_PATH/);
  });

  it('starts the agent only after the self-check, and powers off untagged on any failure', () => {
    const checkAt = script.lastIndexOf('\nself_check\n');
    const startAt = script.indexOf('systemctl start --no-block harrier-agent.service');
    assert.ok(checkAt > 0 && startAt > checkAt);
    assert.match(script, /trap 'on_error \$LINENO' ERR/);
    assert.match(script, /shutdown -h now/);
  });

  it('passes the reuse window to the agent unit', () => {
    assert.ok(
      renderUserData({ ...base, reuseWindowMinutes: 15 }).includes("readonly REUSE_WINDOW_MINUTES='15'"),
    );
  });

  it('refuses values that could break out of their shell quotes', () => {
    assert.throws(() => renderUserData({ ...base, bucketName: "x'; rm -rf / #" }), UserDataError);
    assert.throws(() => renderUserData({ ...base, runnerSha256: 'not-a-sum' }), UserDataError);
    assert.throws(() => renderUserData({ ...base, region: 'eu-west-1; id' }), UserDataError);
  });
});
