// Finds the Pulumi CLI, or installs it with the Automation API's own installer when absent.
import { join } from 'node:path';
import { homedir } from 'node:os';
import { PulumiCommand } from '@pulumi/pulumi/automation';
import { version as sdkVersion } from '@pulumi/pulumi/version';
import * as semver from 'semver';

/** The two ways to obtain a CLI; the action passes PulumiCommand's, tests may pass others. */
export interface PulumiCli {
  get: typeof PulumiCommand.get;
  install: typeof PulumiCommand.install;
}

export interface ResolveCliOptions {
  /** A directory with `bin/pulumi` (the `pulumi-root` input): use it and nothing else. */
  root?: string;
  /** @default the Automation API's own version, the CLI it is tested with */
  version?: string;
  /** Where to install a missing CLI. @default $RUNNER_TOOL_CACHE, else ~/.pulumi/versions */
  toolCache?: string;
  log: (message: string) => void;
}

export async function resolvePulumiCli(
  options: ResolveCliOptions,
  cli: PulumiCli = PulumiCommand,
): Promise<PulumiCommand> {
  const version = new semver.SemVer(options.version ?? sdkVersion);
  if (options.root !== undefined) {
    const command = await cli.get({ root: options.root });
    options.log(
      `Using the Pulumi CLI in ${options.root} (${command.version?.toString() ?? 'unknown version'}).`,
    );
    return command;
  }
  try {
    const command = await cli.get({ version });
    options.log(`Using the Pulumi CLI on PATH (${command.version?.toString() ?? 'unknown version'}).`);
    return command;
  } catch (error: unknown) {
    // Absent, or older than the Automation API needs: install the requested version beside it.
    options.log(`No usable Pulumi CLI on PATH (${firstLine(error)}); installing ${version.toString()}.`);
  }
  const root = join(
    options.toolCache ?? join(homedir(), '.pulumi', 'versions'),
    'pulumi',
    version.toString(),
  );
  return cli.install({ version, root });
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
