/**
 * The bootstrap script every runner instance runs once, on its first boot (cloud-init user data).
 * It installs the pinned runner (checksum verified), Docker, Mountpoint for Amazon S3 (signature
 * verified), squashfs-tools and zstd; creates the `runner` user; mounts the cache bucket on every
 * boot; installs the agent from the bucket's read-only `harrier/` prefix; checks itself; and only
 * then starts the agent, which reports the bootstrap and stops a pool instance. Any failure powers
 * the machine off without the `harrier:bootstrap` tag, so a broken machine never joins the pool.
 */
import {
  AGENT_OBJECT_KEY,
  INSTANCE_PATHS,
  MOUNTPOINT_KEY_FINGERPRINT,
  RUNNER_GID,
  RUNNER_UID,
  RUNNER_USER,
} from './constants';
import { runnerTarballUrl, type Architecture } from './runner-release';

export interface UserDataInput {
  architecture: Architecture;
  runnerVersion: string;
  runnerSha256: string;
  bucketName: string;
  region: string;
  /** Minutes the agent waits for another job after the runner exits; 0 = one job per machine. */
  reuseWindowMinutes: number;
}

/** EC2 refuses user data over 16 KB (before base64). */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

export class UserDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserDataError';
  }
}

/** Mountpoint's release bucket names its directories by `uname -m`. */
const MOUNTPOINT_ARCH: Record<Architecture, string> = { x64: 'x86_64', arm64: 'arm64' };

export function renderUserData(input: UserDataInput): string {
  // Every value lands inside single quotes in bash; validating them keeps quoting trivially safe.
  if (!/^\d+\.\d+\.\d+$/.test(input.runnerVersion))
    throw new UserDataError(`bad runner version '${input.runnerVersion}'`);
  if (!/^[0-9a-f]{64}$/.test(input.runnerSha256))
    throw new UserDataError('runner SHA-256 must be 64 hex digits');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(input.bucketName))
    throw new UserDataError(`bad bucket name '${input.bucketName}'`);
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(input.region)) throw new UserDataError(`bad region '${input.region}'`);
  if (!Number.isInteger(input.reuseWindowMinutes) || input.reuseWindowMinutes < 0)
    throw new UserDataError('reuse window must be a whole number of minutes');

  const script = `#!/bin/bash
# Harrier runner bootstrap, rendered by packages/infra/src/user-data.ts for ${input.architecture}.
# Runs once, on the first boot. Any failure powers the machine off untagged: it never joins the pool.
set -euo pipefail

readonly RUNNER_VERSION='${input.runnerVersion}'
readonly RUNNER_URL='${runnerTarballUrl(input.runnerVersion, input.architecture)}'
readonly RUNNER_SHA256='${input.runnerSha256}'
readonly MOUNTPOINT_BASE='https://s3.amazonaws.com/mountpoint-s3-release'
readonly MOUNTPOINT_ARCH='${MOUNTPOINT_ARCH[input.architecture]}'
readonly MOUNTPOINT_FINGERPRINT='${MOUNTPOINT_KEY_FINGERPRINT}'
readonly CACHE_BUCKET='${input.bucketName}'
readonly CACHE_REGION='${input.region}'
readonly CACHE_ROOT='${INSTANCE_PATHS.cacheRoot}'
readonly RUNNER_DIR='${INSTANCE_PATHS.runnerDir}'
readonly RUNNER_USER='${RUNNER_USER}'
readonly RUNNER_UID='${RUNNER_UID}'
readonly RUNNER_GID='${RUNNER_GID}'
readonly AGENT_SOURCE="$CACHE_ROOT/${AGENT_OBJECT_KEY}"
readonly AGENT_PATH='${INSTANCE_PATHS.agent}'
readonly NODE_BIN='${INSTANCE_PATHS.node}'
readonly REUSE_WINDOW_MINUTES='${input.reuseWindowMinutes}'

exec > >(tee -a /var/log/harrier-bootstrap.log) 2>&1
on_error() {
  echo "harrier-bootstrap: failed at line $1; powering off without the bootstrap tag" >&2
  shutdown -h now
}
trap 'on_error $LINENO' ERR

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

download() {
  curl --fail --silent --show-error --location --retry 5 --retry-connrefused --output "$2" "$1"
}

install_packages() {
  export DEBIAN_FRONTEND=noninteractive
  # unattended-upgrades holds the dpkg lock right after boot: wait for it instead of failing.
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \\
    ca-certificates curl gnupg docker.io squashfs-tools zstd fuse3 sudo
  systemctl enable --now docker.service
}

create_runner_user() {
  groupadd --gid "$RUNNER_GID" "$RUNNER_USER"
  useradd --uid "$RUNNER_UID" --gid "$RUNNER_GID" --groups docker --create-home --shell /bin/bash "$RUNNER_USER"
  # Passwordless sudo as on GitHub-hosted runners: the single-use VM and its narrow role are the boundary.
  printf '%s ALL=(ALL) NOPASSWD:ALL\\n' "$RUNNER_USER" > /etc/sudoers.d/90-harrier-runner
  chmod 0440 /etc/sudoers.d/90-harrier-runner
  visudo --check --file /etc/sudoers.d/90-harrier-runner
}

install_runner() {
  download "$RUNNER_URL" "$work/runner.tar.gz"
  echo "$RUNNER_SHA256  $work/runner.tar.gz" | sha256sum --check --strict
  mkdir -p "$RUNNER_DIR"
  tar -xzf "$work/runner.tar.gz" -C "$RUNNER_DIR"
  "$RUNNER_DIR/bin/installdependencies.sh"
  chown -R "$RUNNER_USER:$RUNNER_USER" "$RUNNER_DIR"
}

install_mountpoint() {
  download "$MOUNTPOINT_BASE/latest/$MOUNTPOINT_ARCH/mount-s3.deb" "$work/mount-s3.deb"
  download "$MOUNTPOINT_BASE/latest/$MOUNTPOINT_ARCH/mount-s3.deb.asc" "$work/mount-s3.deb.asc"
  download "$MOUNTPOINT_BASE/public_keys/KEYS" "$work/KEYS"
  export GNUPGHOME="$work/gnupg"
  mkdir -m 0700 "$GNUPGHOME"
  gpg --batch --quiet --import "$work/KEYS"
  local fingerprint
  fingerprint="$(gpg --batch --with-colons --fingerprint mountpoint-s3@amazon.com | awk -F: '/^fpr:/ { print $10; exit }')"
  if [[ "$fingerprint" != "$MOUNTPOINT_FINGERPRINT" ]]; then
    echo "harrier-bootstrap: Mountpoint signing key fingerprint is '$fingerprint'" >&2
    return 1
  fi
  gpg --batch --verify "$work/mount-s3.deb.asc" "$work/mount-s3.deb"
  apt-get -o DPkg::Lock::Timeout=600 install -y -q "$work/mount-s3.deb"
  unset GNUPGHOME
}

install_units() {
  # Mountpoint mounts do not survive a stop: a unit mounts the bucket on every boot.
  cat > /etc/systemd/system/harrier-cache.service <<UNIT
[Unit]
Description=Harrier cache bucket at $CACHE_ROOT (Mountpoint for Amazon S3)
Wants=network-online.target
After=network-online.target

[Service]
Type=forking
ExecStartPre=/usr/bin/mkdir -p $CACHE_ROOT
ExecStart=/usr/bin/mount-s3 --region $CACHE_REGION $CACHE_BUCKET $CACHE_ROOT --allow-delete --allow-overwrite --allow-other --uid $RUNNER_UID --gid $RUNNER_GID
ExecStop=/usr/bin/fusermount3 -u $CACHE_ROOT
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT

  cat > /etc/systemd/system/harrier-agent.service <<UNIT
[Unit]
Description=Harrier agent: waits for this machine's runner config, runs the runner, powers off
Wants=network-online.target
After=network-online.target docker.service harrier-cache.service
Requires=harrier-cache.service

[Service]
Type=simple
Environment=HARRIER_REUSE_WINDOW_MINUTES=$REUSE_WINDOW_MINUTES
Environment=HARRIER_RUNNER_UID=$RUNNER_UID
Environment=HARRIER_RUNNER_GID=$RUNNER_GID
ExecStart=$NODE_BIN $AGENT_PATH
Restart=no

[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload
  systemctl enable harrier-cache.service harrier-agent.service
  systemctl start harrier-cache.service
}

install_agent() {
  # harrier/ is read-only for every instance role: no job can replace what later machines run.
  install -D --mode 0644 --owner root --group root "$AGENT_SOURCE" "$AGENT_PATH"
}

self_check() {
  local listed probe
  listed="$(sudo -u "$RUNNER_USER" "$RUNNER_DIR/bin/Runner.Listener" --version)"
  [[ "$listed" == "$RUNNER_VERSION" ]] || { echo "runner reports '$listed'" >&2; return 1; }
  "$NODE_BIN" --version
  mountpoint --quiet "$CACHE_ROOT"
  probe="$CACHE_ROOT/custom/.harrier-probe-$RANDOM$RANDOM"
  sudo -u "$RUNNER_USER" mkdir -p "$CACHE_ROOT/custom"
  sudo -u "$RUNNER_USER" sh -c 'printf ok > "$1" && rm -f "$1"' probe "$probe"
  sudo -u "$RUNNER_USER" docker info --format '{{.ServerVersion}}'
  command -v mksquashfs unsquashfs zstd > /dev/null
}

install_packages
create_runner_user
install_runner
install_mountpoint
install_units
install_agent
self_check
echo "harrier-bootstrap: self-check passed; handing over to harrier-agent"
systemctl start --no-block harrier-agent.service
`;
  const bytes = Buffer.byteLength(script, 'utf8');
  if (bytes > USER_DATA_LIMIT_BYTES)
    throw new UserDataError(`user data is ${bytes} bytes, over EC2's 16 KB limit`);
  return script;
}
