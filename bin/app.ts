#!/usr/bin/env node
/**
 * CDK entry point. The config file is `baton.config.json` unless
 * `-c config=<path>` names another; a bad file stops synth with the field named.
 */
import { App } from 'aws-cdk-lib';
import { addBatonStack } from '../lib/app.ts';
import { ConfigError, loadConfig } from '../lib/config/load.ts';

const app = new App();
const path: unknown = app.node.tryGetContext('config');
try {
  addBatonStack(app, loadConfig(typeof path === 'string' && path !== '' ? path : 'baton.config.json'));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
app.synth();
