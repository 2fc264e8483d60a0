/**
 * The quick-start CDK app with the cdk-nag AwsSolutions and Serverless packs,
 * as lib/app.ts builds Baton's: shared by app.ts (`cdk synth`) and the tests.
 */
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { acknowledgeQuickstartFindings } from './nag.ts';
import { QuickstartStack } from './stack.ts';
import type { Topology } from './topology.ts';

export function buildQuickstartApp(topology: Topology, props: AppProps = {}): { app: App; stack: QuickstartStack } {
  const app = new App(props);
  const stack = new QuickstartStack(app, topology.stackName, {
    topology,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    description: `Baton quick start: the infrastructure of one blue/green service (${topology.service})`,
  });
  acknowledgeQuickstartFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}
