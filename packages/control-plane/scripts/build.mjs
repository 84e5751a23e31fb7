// Bundles each Lambda handler (and the on-instance agent) into one self-contained ESM file:
// dist/<name>/index.mjs. The AWS SDK is bundled rather than taken from the Lambda runtime so the
// deployed code is exactly what the tests ran, and the output is deterministic so the root
// `pnpm check-dist` can prove the committed dist/ matches the sources.
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entries = {
  webhook: 'src/handlers/webhook.ts',
  'scale-up': 'src/handlers/scale-up.ts',
  lifecycle: 'src/handlers/lifecycle.ts',
  reconcile: 'src/handlers/reconcile.ts',
  agent: 'src/agent/index.ts',
};

rmSync(join(root, 'dist'), { recursive: true, force: true });
for (const [name, entry] of Object.entries(entries)) {
  if (!existsSync(join(root, entry))) continue;
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: `dist/${name}/index.mjs`,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    charset: 'utf8',
    // Prefer the ESM builds of dependencies; the CommonJS ones still call require().
    mainFields: ['module', 'main'],
    banner: {
      js: "import { createRequire as __harrierCreateRequire } from 'node:module'; const require = __harrierCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
}
