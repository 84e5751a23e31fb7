// The action: validate inputs, find the program and the CLI, make sure the state bucket exists,
// run Pulumi, publish outputs and a job summary. Every dependency is passed in (`RunDeps`) so the
// tests run the same code with a stand-in CLI and a local S3 endpoint.
import { appendFileSync } from 'node:fs';
import * as core from '@actions/core';
import * as exec from '@actions/exec';
import type { S3Client } from '@aws-sdk/client-s3';
import type { PulumiCommand } from '@pulumi/pulumi/automation';
import { toPulumiConfig } from './config-map';
import { Outputs } from './constants';
import type { DeployResult } from './deploy';
import type { ActionInputs } from './inputs';
import { parseInputs } from './inputs';
import { actionDirFromEntry, installCommandFor, resolveProgramDir } from './program';
import { renderFailure, renderSummary } from './summary';

// The Pulumi SDK and the AWS SDK are most of the bundle and take a second or more to load: they are
// imported only once the inputs are valid, so a mistake in the workflow fails at once.

export interface RunDeps {
  env: NodeJS.ProcessEnv;
  /** The directory holding action.yml. */
  actionDir: string;
  s3: (region: string) => Promise<S3Client>;
  pulumi: (inputs: ActionInputs) => Promise<PulumiCommand>;
  /** Runs a command line in a directory; resolves to its exit code. */
  exec: (commandLine: string, cwd: string) => Promise<number>;
}

export function defaultDeps(): RunDeps {
  return {
    env: process.env,
    actionDir: actionDirFromEntry(process.argv[1] ?? process.cwd()),
    s3: async (region) => new (await import('@aws-sdk/client-s3')).S3Client({ region }),
    pulumi: async (inputs) =>
      (await import('./pulumi-cli')).resolvePulumiCli({
        root: inputs.pulumiRoot,
        version: inputs.pulumiVersion,
        toolCache: process.env.RUNNER_TOOL_CACHE,
        log: core.info,
      }),
    exec: (commandLine, cwd) => exec.exec(commandLine, [], { cwd }),
  };
}

export class DependencyInstallError extends Error {
  constructor(commandLine: string, code: number) {
    super(`Installing the infra program's dependencies failed: \`${commandLine}\` exited with ${code}.`);
    this.name = 'DependencyInstallError';
  }
}

/** Every secret value registered in this process, for redacting what the action writes itself. */
const secretsSeen: string[] = [];

/**
 * Replaces every registered secret in `text`. The runner masks the log, but an error can carry a
 * command line (the Automation API passes config values as arguments) into the job summary too.
 */
export function redact(text: string): string {
  let result = text;
  for (const secret of secretsSeen.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length))
    result = result.split(secret).join('***');
  return result;
}

/** Inputs whose values must never reach the log. */
export const SECRET_INPUTS = ['github-token', 'github-app-private-key'] as const;

/**
 * Registers a secret with the runner's log masking. The runner masks line by line, so a multi-line
 * value (a PEM key) is registered as a whole and line by line.
 */
export function maskSecret(value: string): void {
  secretsSeen.push(value, ...value.split(/\r?\n/).map((line) => line.trim()));
  if (value.trim() === '') return;
  core.setSecret(value);
  for (const line of value.split(/\r?\n/))
    if (line.trim() !== '' && line !== value) core.setSecret(line.trim());
}

function runUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = env;
  if (!GITHUB_SERVER_URL || !GITHUB_REPOSITORY || !GITHUB_RUN_ID) return undefined;
  return `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}`;
}

/** Runs the action; returns what it did (for tests), or undefined when it failed. */
export async function run(deps: RunDeps = defaultDeps()): Promise<DeployResult | undefined> {
  try {
    // Mask the secrets before anything else can print them (validation messages never echo them).
    for (const name of SECRET_INPUTS) maskSecret(core.getInput(name));
    const inputs = parseInputs((name) => core.getInput(name), deps.env);

    const workspace = deps.env.GITHUB_WORKSPACE ?? process.cwd();
    const programDir = resolveProgramDir(inputs.programDir, deps.actionDir, workspace);
    core.info(`Infra program: ${programDir}; stack ${inputs.stack}; state s3://${inputs.stateBucket}.`);

    const install = installCommandFor(programDir, inputs.installCommand);
    if (install !== undefined) {
      const code = await core.group(`Installing the infra program's dependencies`, () =>
        deps.exec(install, programDir),
      );
      if (code !== 0) throw new DependencyInstallError(install, code);
    }

    if (inputs.createStateBucket) {
      const { ensureStateBucket } = await import('./state-bucket');
      await ensureStateBucket(
        await deps.s3(inputs.awsRegion),
        inputs.stateBucket,
        inputs.awsRegion,
        core.info,
      );
    }

    const pulumi = await deps.pulumi(inputs);
    const { deploy } = await import('./deploy');
    const result = await deploy({
      command: inputs.command,
      stack: inputs.stack,
      programDir,
      stateBucket: inputs.stateBucket,
      awsRegion: inputs.awsRegion,
      secretsProvider: inputs.secretsProvider,
      config: toPulumiConfig(inputs),
      pulumi,
      onOutput: (chunk) => process.stdout.write(chunk),
      message: runUrl(deps.env),
    });

    const { webhookUrl, bucketName, dashboardUrl, labels } = result.outputs;
    if (webhookUrl !== undefined) core.setOutput(Outputs.WebhookUrl, webhookUrl);
    if (bucketName !== undefined) core.setOutput(Outputs.Bucket, bucketName);
    if (dashboardUrl !== undefined) core.setOutput(Outputs.DashboardUrl, dashboardUrl);
    if (labels !== undefined) core.setOutput(Outputs.Labels, JSON.stringify(labels));
    // Appended directly rather than through core.summary, whose file path is a process-wide cache.
    const summaryFile = deps.env.GITHUB_STEP_SUMMARY;
    if (summaryFile) appendFileSync(summaryFile, renderSummary(result));
    return result;
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    core.setFailed(redact(message));
    const summaryFile = deps.env.GITHUB_STEP_SUMMARY;
    if (summaryFile) appendFileSync(summaryFile, redact(renderFailure(error)));
    return undefined;
  }
}
