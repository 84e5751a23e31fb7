// The Pulumi program (root Pulumi.yaml: `main: packages/infra`). Reads config, builds the stack,
// exports the outputs a user needs; everything else lives in tested modules.
import * as pulumi from '@pulumi/pulumi';
import { loadConfig } from './load-config';
import { createHarrier, stackId } from './program';

const { config, secrets } = loadConfig();
const harrier = createHarrier(config, secrets, {
  stack: stackId(pulumi.getStack()),
  awsProfile: new pulumi.Config('aws').get('profile'),
});

export const webhookUrl = harrier.webhookUrl;
export const bucketName = harrier.bucketName;
export const dashboardUrl = harrier.dashboardUrl;
export const runsOnLabels = harrier.runsOnLabels;
