/**
 * A small IAM evaluator for identity policies: enough of the policy language (wildcards, policy
 * variables, String/Arn/Bool operators, ForAllValues) to ask "may this principal do X to Y?" of the
 * documents infra generates. Unresolved policy variables make a statement not match, as in IAM.
 */
import type { PolicyDocument, PolicyStatement } from '../../src/policies';

export interface SimulatedRequest {
  action: string;
  resource: string;
  /** Request context keys (aws:*, ec2:*, ssm:resourceTag/*, …); arrays for multi-valued keys. */
  context?: Record<string, string | string[]>;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

const glob = (pattern: string, value: string, caseInsensitive = false): boolean => {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '').test(value);
};

/** Replaces ${key} with context values; undefined when a variable has no value. */
function substitute(text: string, context: Record<string, string | string[]>): string | undefined {
  let unresolved = false;
  const result = text.replace(/\$\{([^}]+)\}/g, (_, key: string) => {
    const value = context[key];
    if (typeof value !== 'string') {
      unresolved = true;
      return '';
    }
    return value;
  });
  return unresolved ? undefined : result;
}

function conditionHolds(
  operator: string,
  key: string,
  expected: string | string[],
  context: Record<string, string | string[]>,
): boolean {
  const wanted = (Array.isArray(expected) ? expected : [expected]).map((v) => substitute(v, context));
  const actual = context[key];
  if (operator.startsWith('ForAllValues:')) {
    const base = operator.slice('ForAllValues:'.length);
    const values = actual === undefined ? [] : Array.isArray(actual) ? actual : [actual];
    return values.every((v) => conditionHolds(base, key, expected, { ...context, [key]: v }));
  }
  if (actual === undefined || Array.isArray(actual)) return false;
  return wanted.some((w) => {
    if (w === undefined) return false;
    switch (operator) {
      case 'StringEquals':
      case 'ArnEquals':
        return actual === w;
      case 'StringLike':
      case 'ArnLike':
        return glob(w, actual);
      case 'Bool':
        return actual === w;
      default:
        throw new Error(`simulator does not know condition operator ${operator}`);
    }
  });
}

function matches(statement: PolicyStatement, request: SimulatedRequest): boolean {
  const context = request.context ?? {};
  if (!statement.Action.some((a) => glob(a, request.action, true))) return false;
  const resources = statement.Resource ?? [];
  if (
    !resources.some((r) => {
      const pattern = substitute(r, context);
      return pattern !== undefined && glob(pattern, request.resource);
    })
  )
    return false;
  for (const [operator, entries] of Object.entries(statement.Condition ?? {}))
    for (const [key, expected] of Object.entries(entries))
      if (!conditionHolds(operator, key, expected, context)) return false;
  return true;
}

export function evaluate(policies: PolicyDocument[], request: SimulatedRequest): Decision {
  const statements = policies.flatMap((p) => p.Statement).filter((s) => matches(s, request));
  if (statements.some((s) => s.Effect === 'Deny')) return 'explicit-deny';
  return statements.some((s) => s.Effect === 'Allow') ? 'allow' : 'implicit-deny';
}
