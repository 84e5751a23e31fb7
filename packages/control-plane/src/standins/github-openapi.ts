// Checks a GitHub REST request (and the stand-in's own answers) against GitHub's published OpenAPI
// description, restricted to the operations Harrier calls (openapi/github-operations.json, extracted
// by scripts/extract-openapi.mjs). A request GitHub would refuse throws here, so a test fails instead
// of production.
import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import extract from '../../openapi/github-operations.json' with { type: 'json' };

export interface GitHubRequest {
  method: string;
  /** Path only (`/orgs/acme/hooks`), or a path with a query string. */
  path: string;
  /** Query parameters as they appear on the wire (strings); merged with any in `path`. */
  query?: Record<string, string | number | boolean | undefined>;
  /** Parsed JSON body, `undefined` when none was sent. */
  body?: unknown;
}

export interface MatchedGitHubRequest {
  operationId: string;
  /** Path parameters coerced to their schema type (`hook_id` → number). */
  pathParams: Record<string, string | number>;
  /** Query parameters coerced to their schema type, defaults not applied. */
  query: Record<string, string | number | boolean>;
}

/** A request GitHub would refuse: `status` is what GitHub answers (404 unknown route, 422 invalid). */
export class GitHubContractError extends Error {
  constructor(
    readonly status: 404 | 422,
    readonly violations: string[],
    readonly request: { method: string; path: string },
  ) {
    super(`${request.method} ${request.path}: ${violations.join('; ')}`);
    this.name = 'GitHubContractError';
  }
}

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  schema: Record<string, unknown>;
}

interface Operation {
  operationId: string;
  method: string;
  path: string;
  parameters: Parameter[];
  requestBody?: { required: boolean; schema: Record<string, unknown> };
  responses: Record<string, { schema?: Record<string, unknown> }>;
}

interface CompiledOperation extends Operation {
  pattern: RegExp;
  pathParamNames: string[];
  literalSegments: number;
}

/**
 * GitHub documents nullable enums as `{ nullable: true, enum: [...] }` without `null` in the list
 * (a queued job's `conclusion` is null). Under OpenAPI 3.0.3's reading, and Ajv's, that would refuse
 * null, which GitHub itself sends: add it, which is what the description means.
 */
function allowNullInNullableEnums(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(allowNullInNullableEnums);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = allowNullInNullableEnums(value);
  const values: unknown = out.enum;
  if (out.nullable === true && Array.isArray(values) && !values.includes(null))
    out.enum = [...(values as unknown[]), null];
  return out;
}

const operations: CompiledOperation[] = (allowNullInNullableEnums(extract.operations) as Operation[])
  .map((op) => {
    const segments = op.path.split('/').filter(Boolean);
    const pathParamNames: string[] = [];
    const source = segments
      .map((segment) => {
        const param = /^\{(\w+)\}$/.exec(segment);
        if (param?.[1]) {
          pathParamNames.push(param[1]);
          return '([^/]+)';
        }
        return segment.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
      })
      .join('/');
    return {
      ...op,
      pattern: new RegExp(`^/${source}/?$`),
      pathParamNames,
      literalSegments: segments.length - pathParamNames.length,
    };
  })
  // A literal segment beats a parameter (`runners/generate-jitconfig` before `runners/{runner_id}`).
  .sort((a, b) => b.literalSegments - a.literalSegments);

/** Operation ids in the committed extract. */
export const GITHUB_OPERATION_IDS: readonly string[] = operations.map((op) => op.operationId);

// OpenAPI 3.0 schemas: `nullable` is understood by Ajv; `strict: false` tolerates the other 3.0-only
// keywords (discriminator, readOnly). Compiled lazily: the run/job response schemas are large.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validators = new Map<string, ValidateFunction>();
function validatorFor(key: string, schema: Record<string, unknown>): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

function coerce(value: string, schema: Record<string, unknown>): string | number | boolean | Error {
  switch (schema.type) {
    case 'integer':
    case 'number': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n) || (schema.type === 'integer' && !Number.isInteger(n))) {
        return new Error(`must be ${String(schema.type)}, got ${JSON.stringify(value)}`);
      }
      return n;
    }
    case 'boolean':
      if (value === 'true') return true;
      if (value === 'false') return false;
      return new Error(`must be boolean, got ${JSON.stringify(value)}`);
    default:
      return value;
  }
}

function checkValue(
  name: string,
  value: unknown,
  schema: Record<string, unknown>,
  violations: string[],
): void {
  const validate = validatorFor(`param:${JSON.stringify(schema)}`, schema);
  if (!validate(value)) {
    violations.push(ajv.errorsText(validate.errors, { dataVar: name }));
  }
}

/** Matches and checks a request; returns the operation and its coerced parameters, or throws. */
export function matchGitHubRequest(request: GitHubRequest): MatchedGitHubRequest {
  const method = request.method.toUpperCase();
  const url = new URL(request.path, 'https://api.github.com');
  // GitHub Enterprise Server serves the same operations under /api/v3.
  const pathname = url.pathname.replace(/^\/api\/v3(?=\/)/, '');
  const where = { method, path: pathname };

  const candidates = operations.filter((op) => op.pattern.test(pathname));
  const op = candidates.find((c) => c.method === method);
  if (!op) {
    const reason =
      candidates.length > 0
        ? `method not allowed (operations on this path: ${candidates.map((c) => c.method).join(', ')})`
        : 'no operation of the extract matches this path';
    throw new GitHubContractError(404, [reason], where);
  }

  const violations: string[] = [];
  const pathParams: Record<string, string | number> = {};
  const match = op.pattern.exec(pathname);
  op.pathParamNames.forEach((name, i) => {
    const raw = decodeURIComponent(match?.[i + 1] ?? '');
    const schema = op.parameters.find((p) => p.in === 'path' && p.name === name)?.schema ?? {};
    const value = coerce(raw, schema);
    if (value instanceof Error) violations.push(`path parameter ${name} ${value.message}`);
    else pathParams[name] = value as string | number;
  });

  const rawQuery: Record<string, string> = Object.fromEntries(url.searchParams);
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value !== undefined) rawQuery[name] = String(value);
  }
  const query: Record<string, string | number | boolean> = {};
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  for (const [name, raw] of Object.entries(rawQuery)) {
    const param = queryParams.find((p) => p.name === name);
    // GitHub silently ignores an unknown query parameter, which hides a typo: refuse it here.
    if (!param) {
      violations.push(`unknown query parameter ${name}`);
      continue;
    }
    const value = coerce(raw, param.schema);
    if (value instanceof Error) violations.push(`query parameter ${name} ${value.message}`);
    else {
      checkValue(`query parameter ${name}`, value, param.schema, violations);
      query[name] = value;
    }
  }
  for (const param of queryParams) {
    if (param.required && !(param.name in rawQuery))
      violations.push(`missing required query parameter ${param.name}`);
  }

  const hasBody = request.body !== undefined && request.body !== null && request.body !== '';
  if (op.requestBody) {
    if (!hasBody) {
      if (op.requestBody.required) violations.push('missing required request body');
    } else {
      const validate = validatorFor(`body:${op.operationId}`, op.requestBody.schema);
      if (!validate(request.body)) {
        violations.push(`request body ${ajv.errorsText(validate.errors, { dataVar: 'body' })}`);
      }
    }
  } else if (hasBody) {
    violations.push(`${op.operationId} takes no request body`);
  }

  if (violations.length > 0) throw new GitHubContractError(422, violations, where);
  return { operationId: op.operationId, pathParams, query };
}

/** Checks a request against the extract; returns its operation id or throws `GitHubContractError`. */
export function validateGitHubRequest(request: GitHubRequest): string {
  return matchGitHubRequest(request).operationId;
}

/** The documented answer statuses of an operation (e.g. `['201', '404', '409', '422']`). */
export function documentedStatuses(operationId: string): string[] {
  const op = operations.find((o) => o.operationId === operationId);
  if (!op) throw new Error(`unknown operation ${operationId}`);
  return Object.keys(op.responses);
}

/**
 * Checks a response body against the operation's documented schema for that status; returns the
 * violations (empty when it conforms). The stand-in checks its own answers with this.
 */
export function checkGitHubResponse(operationId: string, status: number, body: unknown): string[] {
  const op = operations.find((o) => o.operationId === operationId);
  if (!op) return [`unknown operation ${operationId}`];
  const response = op.responses[String(status)];
  if (!response) return [`${operationId} does not document status ${status}`];
  if (!response.schema)
    return body === undefined || body === '' ? [] : [`${operationId} ${status} has no body`];
  const validate = validatorFor(`response:${operationId}:${status}`, response.schema);
  return validate(body)
    ? []
    : [`${operationId} ${status} response ${ajv.errorsText(validate.errors, { dataVar: 'body' })}`];
}

/** Compiles every request and response validator of the extract (otherwise compiled on first use). */
export function warmUpValidators(): void {
  for (const op of operations) {
    if (op.requestBody) validatorFor(`body:${op.operationId}`, op.requestBody.schema);
    for (const [status, response] of Object.entries(op.responses)) {
      if (response.schema) validatorFor(`response:${op.operationId}:${status}`, response.schema);
    }
  }
}
