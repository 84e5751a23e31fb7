// harrier-agent: run by harrier-agent.service at every boot (see packages/infra's bootstrap script).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runAgent } from './agent';
import { agentAwsClients } from './aws-clients';
import { IMDS_BASE_URL, PATHS } from './constants';
import { createImdsClient } from './imds';
import { spawnRunner } from './runner-process';
import { settingsFromEnv } from './settings';
import { fileConsumedStore } from './state';

const log = (event: string, fields: Record<string, unknown> = {}): void => {
  // Never pass the JIT config here: journald keeps stdout.
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
};

/** Set once IMDS has answered with an instance id: only then is powering off this machine right. */
let onInstance = false;

async function main(): Promise<void> {
  const metadata = createImdsClient({ baseUrl: IMDS_BASE_URL });
  await metadata.instanceId();
  onInstance = true;
  // The JS SDK does not read the region from IMDS by itself.
  const region = await metadata.region();
  const { ssm, ec2 } = agentAwsClients(region);
  const outcome = await runAgent({
    metadata,
    ssm,
    ec2,
    runRunner: spawnRunner,
    powerOff,
    consumed: fileConsumedStore(PATHS.stateFile),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    random: Math.random,
    log,
    settings: settingsFromEnv(process.env),
  });
  log('agent-finished', { outcome: outcome.kind });
}

const powerOff = async (): Promise<void> => {
  await promisify(execFile)('/usr/sbin/shutdown', ['-h', 'now']);
};

main().catch(async (error: unknown) => {
  log('agent-failed', { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  process.exitCode = 1;
  // A machine whose agent failed must not linger: powering off stops a pool instance (never marked
  // warm without its bootstrap tag) and terminates a job instance (reconcile re-drives the job).
  // Never on a machine that is not an EC2 instance (someone running the bundle by hand).
  if (onInstance) await powerOff().catch(() => undefined);
});
