/**
 * What every command needs: the pipeline config (which names the state
 * machine, the table, the region and the listeners), AWS clients for the chosen region and
 * profile, and where to write.
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BatonConfig, ServiceConfig } from '../lambdas/shared/config-schema.ts';
import { deploymentTableName, stateMachineAliasArn, stateMachineArn } from '../lambdas/shared/names.ts';
import { ConfigError, loadConfig } from '../lib/config/load.ts';
import { NotFoundError, UsageError } from './errors.ts';
import { DEFAULT_COLUMNS } from './frame.ts';

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** True when stdout is a terminal: `watch` then redraws in place. */
  readonly isTty: boolean;
  /** The terminal's width now (it may be resized while `watch` runs); absent: stdout's. */
  readonly columns?: () => number | undefined;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface GlobalOptions {
  readonly config: string;
  readonly region?: string;
  readonly profile?: string;
  readonly json: boolean;
  /** Colour the output (cli/colour.ts decides: a terminal, no NO_COLOR, no --no-color). */
  readonly colour: boolean;
}

/** What `baton init` needs: read-only clients of the services it discovers in, for the chosen region and profile. */
export interface SetupContext {
  readonly region: string;
  readonly ecs: ECSClient;
  readonly elb: ElasticLoadBalancingV2Client;
  readonly cloudwatch: CloudWatchClient;
  /** Whether the colours are scaled by Application Auto Scaling (services[].autoscaling). */
  readonly scaling: ApplicationAutoScalingClient;
  readonly json: boolean;
  readonly colour: boolean;
  readonly io: Io;
}

/** As the AWS CLI: the flag, then the environment. Empty means unset. */
function regionGiven(options: GlobalOptions): string | undefined {
  return options.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined;
}

function clientConfigOf(region: string, options: GlobalOptions) {
  return { region, ...(options.profile ? { profile: options.profile } : {}) };
}

export function createSetupContext(options: GlobalOptions, io: Io): SetupContext {
  const region = regionGiven(options);
  if (!region) throw new UsageError('name the region: --region <region> (or AWS_REGION)');
  const clientConfig = clientConfigOf(region, options);
  return {
    region,
    ecs: new ECSClient(clientConfig),
    elb: new ElasticLoadBalancingV2Client(clientConfig),
    cloudwatch: new CloudWatchClient(clientConfig),
    scaling: new ApplicationAutoScalingClient(clientConfig),
    json: options.json,
    colour: options.colour,
    io,
  };
}

export interface CliContext {
  readonly config: BatonConfig;
  readonly region: string;
  readonly stateMachineArn: string;
  /** Where deployments start (names.ts LIVE_ALIAS): the version the stack published last. */
  readonly aliasArn: string;
  readonly tableName: string;
  readonly sfn: SFNClient;
  readonly dynamo: DynamoDBDocumentClient;
  /** Reads the production listeners' weights (a worker's: ecs): what production serves, whatever an execution's payload last said. */
  readonly elb: ElasticLoadBalancingV2Client;
  /** Reads a worker's colours' desired counts: its split (lambdas/shared/aws/worker-counts.ts). */
  readonly ecs: ECSClient;
  /** Tells who runs the CLI (identity.ts): the requester or approver recorded. */
  readonly sts: STSClient;
  readonly json: boolean;
  readonly colour: boolean;
  readonly io: Io;
}

export function createContext(options: GlobalOptions, io: Io): CliContext {
  let config: BatonConfig;
  try {
    config = loadConfig(options.config);
  } catch (error) {
    if (error instanceof ConfigError)
      throw new NotFoundError(`${error.message}\nPass the pipeline's config with --config <file>.`, { cause: error });
    throw error;
  }
  // Given, else (ours) the pipeline's own region.
  const region = regionGiven(options) ?? config.pipeline.region;
  const clientConfig = clientConfigOf(region, options);
  return {
    config,
    region,
    stateMachineArn: stateMachineArn({ ...config.pipeline, region }),
    aliasArn: stateMachineAliasArn({ ...config.pipeline, region }),
    tableName: deploymentTableName(config.pipeline),
    sfn: new SFNClient(clientConfig),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig)),
    elb: new ElasticLoadBalancingV2Client(clientConfig),
    ecs: new ECSClient(clientConfig),
    sts: new STSClient(clientConfig),
    json: options.json,
    colour: options.colour,
    io,
  };
}

export function serviceNamed(ctx: CliContext, name: string | undefined): ServiceConfig {
  const known = ctx.config.services.map((s) => s.name);
  if (!name) throw new UsageError(`name a service (${known.join(', ')})`);
  const service = ctx.config.services.find((s) => s.name === name);
  if (!service) throw new NotFoundError(`service "${name}" is not in the config (known: ${known.join(', ')})`);
  return service;
}

/**
 * The width `watch` fits its frame to: the Io's, else stdout's (a terminal's
 * resize changes it), else 80. A terminal that reports no width (0, as a pty
 * whose size was never set does) counts as not saying.
 */
export function terminalColumns(io: Io): number {
  const columns = io.columns?.() ?? process.stdout.columns;
  return columns !== undefined && Number.isInteger(columns) && columns > 0 ? columns : DEFAULT_COLUMNS;
}
