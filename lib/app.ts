/**
 * Builds the CDK app for a config: the Baton stack with the cdk-nag
 * AwsSolutions and Serverless packs. Shared by bin/app.ts, the tests and the
 * simulation, so all three synthesize the same thing.
 */
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { BatonConfig } from '../lambdas/shared/config-schema.ts';
import { BatonStack, stackName } from './baton-stack.ts';

export function addBatonStack(app: App, config: BatonConfig): BatonStack {
  const stack = new BatonStack(app, stackName(config), {
    config,
    env: { account: config.pipeline.account, region: config.pipeline.region },
    description: `Baton blue/green deployment pipeline (${config.pipeline.name}, ${config.pipeline.environment})`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return stack;
}

export function buildApp(config: BatonConfig, props: AppProps = {}): { app: App; stack: BatonStack } {
  const app = new App(props);
  return { app, stack: addBatonStack(app, config) };
}
