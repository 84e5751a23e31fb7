#!/usr/bin/env node
// Extracts, from GitHub's published OpenAPI description (@octokit/openapi, api.github.com), only the
// operations Harrier calls, with every $ref already resolved (the package's `.deref` variant), and
// writes them to openapi/github-operations.json. The GitHub stand-in and the org-webhook resource tests
// validate every request against this file, so a request GitHub would refuse fails a test here.
// Run: node scripts/extract-openapi.mjs  (re-run after bumping @octokit/openapi; commit the result)
import { createRequire } from 'node:module';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const outFile = join(here, '..', 'openapi', 'github-operations.json');

/** The operations Harrier (control plane incl. its GitHub App auth, infra org-webhook resource) calls. */
const OPERATIONS = [
  'actions/generate-runner-jitconfig-for-org',
  'actions/generate-runner-jitconfig-for-repo',
  'actions/list-self-hosted-runners-for-org',
  'actions/list-self-hosted-runners-for-repo',
  'actions/get-self-hosted-runner-for-org',
  'actions/get-self-hosted-runner-for-repo',
  'actions/delete-self-hosted-runner-from-org',
  'actions/delete-self-hosted-runner-from-repo',
  'actions/list-workflow-runs-for-repo',
  'actions/list-jobs-for-workflow-run',
  'actions/get-job-for-workflow-run',
  'apps/get-org-installation',
  'apps/create-installation-access-token',
  'meta/get',
  'orgs/get',
  'orgs/list-webhooks',
  'orgs/create-webhook',
  'orgs/get-webhook',
  'orgs/update-webhook',
  'orgs/delete-webhook',
];

// Documentation-only keys: dropped to keep the committed extract reviewable. Keys inside a schema's
// `properties` map are property names, not keywords, and are never dropped.
const DOC_KEYS = new Set(['description', 'example', 'examples', 'externalDocs', 'title', 'summary']);

function strip(node, inPropertiesMap = false) {
  if (Array.isArray(node)) return node.map((n) => strip(n));
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (!inPropertiesMap && DOC_KEYS.has(key)) continue;
    out[key] = strip(value, !inPropertiesMap && key === 'properties');
  }
  // OpenAPI 3.0 allows `nullable` beside `allOf`/`anyOf` with no `type` (the App endpoints' nullable
  // user): Ajv only accepts `nullable` next to `type`, so say the same thing with `anyOf` and null.
  if (!inPropertiesMap && out.nullable === true && out.type === undefined) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

const spec = require('@octokit/openapi/generated/api.github.com.deref.json');
const wanted = new Set(OPERATIONS);
const operations = [];
for (const [path, item] of Object.entries(spec.paths)) {
  for (const [method, op] of Object.entries(item)) {
    if (!op || typeof op !== 'object' || !wanted.has(op.operationId)) continue;
    wanted.delete(op.operationId);
    const json = op.requestBody?.content?.['application/json'];
    const responses = {};
    for (const [status, response] of Object.entries(op.responses ?? {})) {
      const schema = response.content?.['application/json']?.schema;
      responses[status] = schema ? { schema: strip(schema) } : {};
    }
    operations.push({
      operationId: op.operationId,
      method: method.toUpperCase(),
      path,
      parameters: (op.parameters ?? []).map((p) => ({
        name: p.name,
        in: p.in,
        required: p.required === true,
        schema: strip(p.schema ?? {}),
      })),
      requestBody: op.requestBody
        ? { required: op.requestBody.required === true, schema: strip(json?.schema ?? {}) }
        : undefined,
      responses,
    });
  }
}
if (wanted.size > 0) {
  throw new Error(`operations not found in @octokit/openapi: ${[...wanted].join(', ')}`);
}
operations.sort((a, b) => a.operationId.localeCompare(b.operationId));

mkdirSync(dirname(outFile), { recursive: true });
const json = JSON.stringify({
  source: `@octokit/openapi ${spec.info.version}, api.github.com (OpenAPI ${spec.openapi})`,
  generatedBy: 'scripts/extract-openapi.mjs',
  operations,
});
// Formatted as the repository's Prettier would, so `prettier --check .` stays clean after a re-run.
const options = (await prettier.resolveConfig(outFile)) ?? {};
writeFileSync(outFile, await prettier.format(json, { ...options, filepath: outFile }));
console.log(`wrote ${operations.length} operations to ${outFile}`);
