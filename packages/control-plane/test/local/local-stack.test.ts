import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/local/main.ts', import.meta.url));
const SECRET = 'local-serve-test-secret';

interface Status {
  instances: { id: string; state: string; record: string | null; launch: string | null }[];
  jobs: { id: number; status: string; runner: string | null }[];
}

/**
 * `pnpm local -- --serve` as a user runs it, in its own process (the handlers parse their
 * configuration once per process, as in Lambda), driven only through its HTTP endpoints.
 */
describe('pnpm local --serve (the real handlers and agent behind POST /webhook and GET /status)', function () {
  this.timeout(150_000);
  let child: ChildProcess;
  let base: string;
  let output = '';

  const status = async (): Promise<Status> => (await (await fetch(`${base}/status`)).json()) as Status;
  const until = async (what: string, predicate: (s: Status) => boolean, wallMs = 90_000): Promise<Status> => {
    const deadline = Date.now() + wallMs;
    for (;;) {
      const now = await status();
      if (predicate(now)) return now;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(now)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  before(async () => {
    child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, '--serve', '--port', '0', '--time-factor', '60', '--webhook-secret', SECRET],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 90_000;
    for (;;) {
      const match = /serving\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        base = match[1]!;
        break;
      }
      if (child.exitCode !== null || Date.now() > deadline)
        assert.fail(`pnpm local --serve did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('prints its defaults at start', () => {
    assert.match(output, /GitHub stand-in\s+http:\/\/127\.0\.0\.1:\d+/);
    assert.match(output, /pool\s+fleetSize 3/);
  });

  it('fills the pool, runs a queued job on a warm instance and terminates that instance', async () => {
    await until('three warm instances', (s) => s.instances.filter((i) => i.record === 'warm').length === 3);
    const created = (await (
      await fetch(`${base}/jobs`, { method: 'POST', body: '{"repo":"web","durationSeconds":60}' })
    ).json()) as { id: number };
    const done = await until('the job completed', (s) =>
      s.jobs.some((j) => j.id === created.id && j.status === 'completed'),
    );
    const runner = done.jobs.find((j) => j.id === created.id)!.runner!;
    assert.equal(done.instances.find((i) => i.id === runner)?.launch, 'pool');
    await until('its instance terminated', (s) =>
      s.instances.some((i) => i.id === runner && i.state === 'terminated'),
    );
  });

  it('accepts a correctly signed ping through POST /webhook, as API Gateway would pass it on', async () => {
    const body = '{"zen":"Design for failure."}';
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    const response = await fetch(`${base}/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': 'p1',
        'x-hub-signature-256': signature,
      },
      body,
    });
    assert.equal(response.status, 200);
  });

  it('refuses a webhook signed with another secret with 401', async () => {
    const response = await fetch(`${base}/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'workflow_job',
        'x-github-delivery': 'forged-1',
        'x-hub-signature-256': `sha256=${'1'.repeat(64)}`,
      },
      body: '{"action":"queued"}',
    });
    assert.equal(response.status, 401);
  });
});
