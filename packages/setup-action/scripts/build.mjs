// Bundles the action into dist/index.js (committed; `pnpm check-dist` proves it fresh).
// esbuild rather than ncc: ncc cannot bundle @pulumi/pulumi. CommonJS output because
// @pulumi/pulumi is CommonJS with lazy requires; dist/package.json tells Node so, since this
// package is "type": "module".
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url);
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await build({
  entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
  absWorkingDir: new URL('..', import.meta.url).pathname,
  outfile: new URL('index.js', dist).pathname,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  legalComments: 'none',
  // Whitespace and syntax only: identifiers stay readable in stack traces; the bundle halves.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  plugins: [
    {
      // @pulumi/pulumi's function serialisation (inline programs, dynamic providers) loads the
      // whole TypeScript compiler (9 MB). The action runs a program from disk and serialises no
      // function, so that module is replaced by a stub that fails loudly if ever used.
      name: 'stub-typescript',
      setup(b) {
        b.onResolve({ filter: /typescript-shim$/ }, () => ({ path: 'typescript-shim', namespace: 'stub' }));
        b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
          loader: 'js',
          contents:
            'module.exports = new Proxy({}, { get(_, key) { if (key === "__esModule") return false; ' +
            'throw new Error("The setup action bundle has no TypeScript compiler (function serialisation is not supported)."); } });',
        }));
      },
    },
  ],
});
writeFileSync(new URL('package.json', dist), '{ "type": "commonjs" }\n');
