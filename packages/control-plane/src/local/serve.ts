/**
 * `pnpm local -- --serve`: keeps the local stack up behind a small HTTP server.
 * - `POST /webhook` takes a GitHub webhook request and hands it to the `webhook` handler exactly
 *   as API Gateway would (headers lower-cased, body as received, the caller's address as sourceIp);
 * - `GET /status` answers every instance (id, EC2 state, record state) and every job;
 * - `POST /jobs` (`{"repo":"web","labels":["self-hosted","linux"]}`) makes the GitHub stand-in queue
 *   a job, which then arrives as a signed webhook like any other.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalStack } from './stack';

/** Largest request body read; the webhook handler itself refuses anything over 1 MiB. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) break;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body, null, 2)}\n`);
}

/** What `GET /status` answers. */
export async function statusOf(stack: LocalStack): Promise<unknown> {
  const instances = await Promise.all(
    stack.aws.listInstances().map(async (i) => ({
      id: i.instanceId,
      state: i.state,
      record: (await stack.store.getInstance(i.instanceId))?.state ?? null,
      launch: i.tags['harrier:launch'] ?? null,
      availabilityZone: i.availabilityZone,
    })),
  );
  const jobs = stack.github.listJobs().map((j) => ({
    id: j.id,
    repo: j.repo.fullName,
    name: j.name,
    status: j.status,
    conclusion: j.conclusion,
    runner: j.runnerName,
  }));
  return { instances, jobs, runners: stack.github.listRunners() };
}

export async function serve(stack: LocalStack, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const path = (req.url ?? '/').split('?')[0];
        if (req.method === 'POST' && path === '/webhook') {
          const body = await readBody(req);
          const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
          const answer = await stack.fleet.postWebhook(req.headers, body, sourceIp);
          res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
        } else if (req.method === 'GET' && path === '/status') {
          json(res, 200, await statusOf(stack));
        } else if (req.method === 'POST' && path === '/jobs') {
          const input = JSON.parse((await readBody(req)) || '{}') as {
            repo?: string;
            labels?: string[];
            jobName?: string;
            durationSeconds?: number;
          };
          const job = stack.github.queueJob({
            repo: input.repo ?? 'web',
            labels: input.labels ?? ['self-hosted', 'linux'],
            jobName: input.jobName ?? 'build',
            durationMs: (input.durationSeconds ?? 120) * 1000,
          });
          json(res, 201, { id: job.id, repo: job.repo.fullName, status: job.status });
        } else {
          json(res, 404, { message: 'POST /webhook, GET /status or POST /jobs' });
        }
      } catch (error: unknown) {
        json(res, 500, { message: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}
