import type { Octokit as OctokitClass } from '@octokit/rest';
import * as pulumi from '@pulumi/pulumi';

/** What the dynamic provider receives: plain values (Pulumi resolves inputs before calling it). */
export interface OrgWebhookInputs {
  org: string;
  /** Where GitHub delivers (the HTTP API's POST /webhook). */
  url: string;
  /** Shared secret GitHub signs deliveries with (X-Hub-Signature-256). */
  secret: string;
  /** Token that may manage org webhooks (admin:org_hook). */
  token: string;
  /** @default 'https://api.github.com' */
  apiUrl: string;
  /** @default ['workflow_job'] */
  events: string[];
}

export interface OrgWebhookOutputs extends OrgWebhookInputs {
  hookId: number;
}

/**
 * Loads Octokit inside the provider host. Pulumi runs the serialized provider from the project root
 * (where Pulumi.yaml is), and with pnpm's isolated node_modules `@octokit/rest` is only resolvable
 * from packages/infra: try the plain import first, then resolve from there.
 */
export async function loadOctokit(): Promise<{ Octokit: typeof OctokitClass }> {
  try {
    return await import('@octokit/rest');
  } catch (error: unknown) {
    const nodeModule = await import('node:module');
    const nodePath = await import('node:path');
    const nodeUrl = await import('node:url');
    for (const base of [nodePath.join(process.cwd(), 'packages', 'infra'), process.cwd()]) {
      try {
        const resolved = nodeModule
          .createRequire(nodePath.join(base, 'package.json'))
          .resolve('@octokit/rest');
        return (await import(nodeUrl.pathToFileURL(resolved).href)) as { Octokit: typeof OctokitClass };
      } catch {
        // try the next base
      }
    }
    throw error;
  }
}

/**
 * The provider, kept self-contained: Pulumi serializes these functions into the provider host, so
 * Octokit is imported inside each and the token comes from the (secret) inputs, never a closure.
 */
export const orgWebhookProvider: pulumi.dynamic.ResourceProvider<OrgWebhookInputs, OrgWebhookOutputs> = {
  async create(inputs) {
    const { Octokit } = await loadOctokit();
    const octokit = new Octokit({ auth: inputs.token, baseUrl: inputs.apiUrl });
    const { data } = await octokit.rest.orgs.createWebhook({
      org: inputs.org,
      name: 'web',
      active: true,
      events: inputs.events,
      config: { url: inputs.url, content_type: 'json', secret: inputs.secret, insecure_ssl: '0' },
    });
    return { id: String(data.id), outs: { ...inputs, hookId: data.id } };
  },

  async update(_id, olds, news) {
    const { Octokit } = await loadOctokit();
    const octokit = new Octokit({ auth: news.token, baseUrl: news.apiUrl });
    await octokit.rest.orgs.updateWebhook({
      org: news.org,
      hook_id: olds.hookId,
      active: true,
      events: news.events,
      config: { url: news.url, content_type: 'json', secret: news.secret, insecure_ssl: '0' },
    });
    return { outs: { ...news, hookId: olds.hookId } };
  },

  async delete(_id, props) {
    const { Octokit } = await loadOctokit();
    const octokit = new Octokit({ auth: props.token, baseUrl: props.apiUrl });
    try {
      await octokit.rest.orgs.deleteWebhook({ org: props.org, hook_id: props.hookId });
    } catch (error: unknown) {
      // Already removed by hand: destroy has nothing left to do.
      if ((error as { status?: number }).status !== 404) throw error;
    }
  },

  diff(_id, olds, news) {
    // A hook belongs to one org: moving it means a new hook there (and deleting the old one).
    const replaces = olds.org !== news.org || olds.apiUrl !== news.apiUrl ? ['org'] : [];
    const changes =
      replaces.length > 0 ||
      olds.url !== news.url ||
      olds.secret !== news.secret ||
      olds.token !== news.token ||
      olds.events.join(',') !== news.events.join(',');
    return Promise.resolve({ changes, replaces, deleteBeforeReplace: false });
  },
};

export interface GitHubOrgWebhookArgs {
  org: pulumi.Input<string>;
  url: pulumi.Input<string>;
  secret: pulumi.Input<string>;
  token: pulumi.Input<string>;
  /** @default 'https://api.github.com' */
  apiUrl?: pulumi.Input<string>;
  /** @default ['workflow_job'] */
  events?: pulumi.Input<pulumi.Input<string>[]>;
}

/** The dynamic resource itself (token `pulumi-nodejs:dynamic/harrier:OrgWebhook`). */
export class OrgWebhookResource extends pulumi.dynamic.Resource {
  declare readonly hookId: pulumi.Output<number>;

  constructor(name: string, args: GitHubOrgWebhookArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      orgWebhookProvider,
      name,
      {
        org: args.org,
        url: args.url,
        secret: pulumi.secret(args.secret),
        token: pulumi.secret(args.token),
        apiUrl: args.apiUrl ?? 'https://api.github.com',
        events: args.events ?? ['workflow_job'],
        hookId: undefined,
      },
      { ...opts, additionalSecretOutputs: ['secret', 'token'] },
      'harrier',
      'OrgWebhook',
    );
  }
}

/** The org webhook GitHub delivers `workflow_job` events through; `pulumi destroy` removes it. */
export class GitHubOrgWebhook extends pulumi.ComponentResource {
  readonly hookId: pulumi.Output<number>;

  constructor(name: string, args: GitHubOrgWebhookArgs, opts?: pulumi.ComponentResourceOptions) {
    super('harrier:github:GitHubOrgWebhook', name, {}, opts);
    const hook = new OrgWebhookResource(`${name}-hook`, args, { parent: this });
    this.hookId = hook.hookId;
    this.registerOutputs({ hookId: this.hookId });
  }
}
