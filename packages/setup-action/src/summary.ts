// The job summary: what the run changed, and what to paste into a workflow next.
import type { OpMap } from '@pulumi/pulumi/automation';
import type { DeployResult } from './deploy';

/** Where the published cache actions live (scripts/release/export-action.mjs pushes them). */
export const CACHE_LOAD_ACTION = 'harrier/cache-load@v1';
export const CACHE_STORE_ACTION = 'harrier/cache-store@v1';

const VERB: Record<DeployResult['command'], string> = {
  up: 'Deployed',
  preview: 'Previewed',
  destroy: 'Destroyed',
};

/** Operation counts as table rows, largest first, `same` last (it is what did not change). */
export function changeRows(changes: OpMap): [string, number][] {
  return Object.entries(changes)
    .filter((entry): entry is [string, number] => (entry[1] ?? 0) > 0)
    .sort(([a, x], [b, y]) => (a === 'same' ? 1 : b === 'same' ? -1 : y - x));
}

/** The `runs-on` value for Harrier's labels, as YAML flow sequence. */
export function runsOnLine(labels: string[] | undefined): string {
  const list = labels && labels.length > 0 ? labels : ['self-hosted'];
  return `runs-on: [${list.join(', ')}]`;
}

export function nextStepsYaml(labels: string[] | undefined): string {
  return [
    `jobs:`,
    `  build:`,
    `    ${runsOnLine(labels)}`,
    `    steps:`,
    `      - uses: actions/checkout@v5`,
    `      - uses: actions/setup-node@v5`,
    `        with:`,
    `          node-version: 24`,
    `      - uses: ${CACHE_LOAD_ACTION}`,
    `        id: cache`,
    `      - if: steps.cache.outputs.cache-hit != 'true'`,
    `        run: npm install`,
    `      - uses: ${CACHE_STORE_ACTION}`,
    `      - run: npm test`,
  ].join('\n');
}

export function renderSummary(result: DeployResult): string {
  const lines: string[] = [`## Harrier: ${VERB[result.command]} stack \`${result.stack}\``, ''];
  const rows = changeRows(result.changes);
  if (rows.length === 0) lines.push('No resource changes.', '');
  else {
    lines.push(
      result.command === 'preview' ? 'What `up` would do:' : 'What changed:',
      '',
      '| operation | resources |',
      '| --- | ---: |',
    );
    for (const [op, count] of rows) lines.push(`| ${op} | ${count} |`);
    lines.push('');
  }
  if (result.command !== 'up') return lines.join('\n');

  const { webhookUrl, bucketName, dashboardUrl, labels, pools } = result.outputs;
  lines.push('| output | value |', '| --- | --- |');
  if (webhookUrl) lines.push(`| webhook URL | ${webhookUrl} |`);
  if (bucketName) lines.push(`| cache bucket | \`${bucketName}\` |`);
  if (dashboardUrl) lines.push(`| dashboard | [CloudWatch](${dashboardUrl}) |`);
  for (const [pool, poolLabels] of Object.entries(pools ?? {}))
    lines.push(`| \`runs-on\` for pool ${pool} | \`[${poolLabels.join(', ')}]\` |`);
  lines.push(
    '',
    '### Next steps',
    '',
    `In each workflow that should run on Harrier, change \`runs-on\` and put the two cache steps around the install:`,
    '',
    '```yaml',
    nextStepsYaml(labels),
    '```',
    '',
  );
  return lines.join('\n');
}

/** Lines of a failure message the summary shows; the step log has all of it. */
const FAILURE_LINES = 20;

/**
 * The summary of a failed run: input problems in full (they are short and say what to fix),
 * anything else by its first lines, since Pulumi's errors carry the whole CLI output.
 */
export function renderFailure(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  const lines = (error instanceof Error ? error.message : String(error)).split('\n');
  const shown = name === 'InputError' ? lines : lines.slice(0, FAILURE_LINES);
  return [
    `## Harrier: setup failed (${name})`,
    '',
    '```text',
    ...shown,
    ...(shown.length < lines.length ? [`… ${lines.length - shown.length} more lines in the step log`] : []),
    '```',
    '',
  ].join('\n');
}
