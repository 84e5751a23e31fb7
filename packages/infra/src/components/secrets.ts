import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';

export interface SecretsArgs {
  /** A PAT with admin:org (fine-grained: organization self-hosted runners + webhooks, write). */
  githubToken?: pulumi.Input<string>;
  /** GitHub App id and private key, used instead of the PAT when given. */
  githubAppId?: string;
  githubAppPrivateKey?: pulumi.Input<string>;
  /** Length of the generated webhook secret, characters. @default 48 */
  webhookSecretLength?: number;
  tags: Record<string, string>;
}

/**
 * The GitHub credential and a generated webhook secret, in Secrets Manager. Lambdas receive the ARNs
 * and read the values at run time; no value ever sits in a function's configuration.
 */
export class Secrets extends pulumi.ComponentResource {
  readonly githubCredential: aws.secretsmanager.Secret;
  readonly webhookSecret: aws.secretsmanager.Secret;
  /** The generated webhook secret's value, marked secret: only the GitHub org webhook receives it. */
  readonly webhookSecretValue: pulumi.Output<string>;

  constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('harrier:secrets:Secrets', name, {}, opts);
    const parent = { parent: this };
    this.githubCredential = new aws.secretsmanager.Secret(
      `${name}-github-credential`,
      {
        namePrefix: `${name}-github-credential-`,
        description: 'Harrier: GitHub credential',
        tags: args.tags,
      },
      parent,
    );
    // JSON so a PAT and an App share one shape: {"token": …} or {"appId": …, "privateKey": …}.
    const credential =
      args.githubAppId !== undefined && args.githubAppPrivateKey !== undefined
        ? pulumi
            .output(args.githubAppPrivateKey)
            .apply((privateKey) => JSON.stringify({ appId: args.githubAppId, privateKey }))
        : pulumi.output(args.githubToken ?? '').apply((token) => JSON.stringify({ token }));
    new aws.secretsmanager.SecretVersion(
      `${name}-github-credential`,
      { secretId: this.githubCredential.id, secretString: pulumi.secret(credential) },
      parent,
    );

    const generated = new random.RandomPassword(
      `${name}-webhook-secret`,
      { length: args.webhookSecretLength ?? 48, special: false },
      parent,
    );
    this.webhookSecretValue = pulumi.secret(generated.result);
    this.webhookSecret = new aws.secretsmanager.Secret(
      `${name}-webhook-secret`,
      {
        namePrefix: `${name}-webhook-secret-`,
        description: 'Harrier: GitHub webhook secret',
        tags: args.tags,
      },
      parent,
    );
    new aws.secretsmanager.SecretVersion(
      `${name}-webhook-secret`,
      { secretId: this.webhookSecret.id, secretString: this.webhookSecretValue },
      parent,
    );
    this.registerOutputs({
      githubCredentialArn: this.githubCredential.arn,
      webhookSecretArn: this.webhookSecret.arn,
    });
  }
}
