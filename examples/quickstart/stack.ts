/**
 * What Baton needs for one service in a real account: a VPC, an ALB with a
 * production listener (weighted forward, 100/0 to start) and a test listener
 * (to the idle colour), two Fargate services with their target groups, an ECR
 * repository, an app-config secret and 5xx and latency alarms on the target
 * groups. Its outputs are what write-config.ts turns into baton.config.json.
 *
 * Cost: public subnets only and no NAT gateway. Tasks get public IPs to pull
 * their image and read the secret; their security group admits only the load
 * balancer. A NAT gateway (about 33 USD a month each) buys nothing here.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Peer, Port, SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Repository, TagMutability } from 'aws-cdk-lib/aws-ecr';
import {
  Cluster,
  ContainerImage,
  DeploymentControllerType,
  Secret as EcsSecret,
  FargateService,
  FargateTaskDefinition,
  LogDrivers,
} from 'aws-cdk-lib/aws-ecs';
import {
  type ApplicationListener,
  ApplicationLoadBalancer,
  ApplicationProtocol,
  ApplicationTargetGroup,
  HttpCodeTarget,
  ListenerAction,
  TargetType,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { OUTPUT } from './config.ts';
import { ALARM_KINDS, type AlarmKind, alarmName, appConfigKeys, COLOURS, type Colour, ecsServiceName, type Topology } from './topology.ts';

export interface QuickstartStackProps extends StackProps {
  readonly topology: Topology;
}

export class QuickstartStack extends Stack {
  readonly vpc: Vpc;
  readonly loadBalancer: ApplicationLoadBalancer;
  readonly productionListener: ApplicationListener;
  readonly testListener: ApplicationListener;
  readonly targetGroups: Record<Colour, ApplicationTargetGroup>;
  readonly services: Record<Colour, FargateService>;
  readonly taskDefinition: FargateTaskDefinition;
  readonly repository: Repository;
  readonly appConfig: Secret;
  readonly alarms: Alarm[];
  readonly cluster: Cluster;
  readonly loadBalancerSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: QuickstartStackProps) {
    super(scope, id, props);
    const t = props.topology;

    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 }],
      // The custom resource that empties the default security group is a Lambda function; nothing here uses that group.
      restrictDefaultSecurityGroup: false,
    });

    this.loadBalancerSecurityGroup = new SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: 'Quick-start load balancer: production and test listeners',
      allowAllOutbound: false,
    });
    const albSecurityGroup = this.loadBalancerSecurityGroup;
    albSecurityGroup.addIngressRule(Peer.anyIpv4(), Port.tcp(t.productionPort), 'production listener');
    albSecurityGroup.addIngressRule(Peer.anyIpv4(), Port.tcp(t.testPort), 'test listener (Baton smoke test)');
    this.loadBalancer = new ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: true,
      securityGroup: albSecurityGroup,
      dropInvalidHeaderFields: true,
    });

    this.targetGroups = {
      blue: this.targetGroup('Blue', t),
      green: this.targetGroup('Green', t),
    };
    // Baton moves these weights; the production listener starts all on blue, the test listener on the idle green.
    this.productionListener = this.weightedListener('ProductionListener', t.productionPort, 'blue');
    this.testListener = this.weightedListener('TestListener', t.testPort, 'green');

    this.repository = new Repository(this, 'Repository', {
      repositoryName: t.repositoryName,
      imageScanOnPush: true,
      imageTagMutability: TagMutability.IMMUTABLE,
      removalPolicy: RemovalPolicy.DESTROY,
      emptyOnDelete: true,
      lifecycleRules: [{ description: 'keep the last 30 images', maxImageCount: 30 }],
    });

    this.appConfig = new Secret(this, 'AppConfig', {
      secretName: t.appConfigSecretName,
      description: `App config of ${t.service} (quick start); Baton pins the version each deployment runs`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify(t.appConfig.values),
        generateStringKey: t.appConfig.generatedKey,
        excludePunctuation: true,
        passwordLength: 40,
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.taskDefinition = new FargateTaskDefinition(this, 'TaskDefinition', {
      family: t.taskDefinitionFamily,
      cpu: t.cpu,
      memoryLimitMiB: t.memoryMiB,
    });
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
    this.taskDefinition.addContainer('Container', {
      containerName: t.containerName,
      image: ContainerImage.fromRegistry(t.placeholderImage),
      essential: true,
      portMappings: [{ containerPort: t.containerPort }],
      logging: LogDrivers.awsLogs({ logGroup, streamPrefix: t.service }),
      secrets: Object.fromEntries(appConfigKeys(t).map((key) => [key, EcsSecret.fromSecretsManager(this.appConfig, key)])),
    });
    // Baton registers revisions with the image it deploys; the execution role must pull from the repository.
    this.repository.grantPull(this.taskDefinition.obtainExecutionRole());

    this.cluster = new Cluster(this, 'Cluster', { vpc: this.vpc, clusterName: t.cluster });
    const cluster = this.cluster;
    const serviceSecurityGroup = new SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc: this.vpc,
      description: `Tasks of ${t.service}: reachable from the load balancer only`,
    });
    serviceSecurityGroup.addIngressRule(albSecurityGroup, Port.tcp(t.containerPort), 'from the load balancer');
    albSecurityGroup.addEgressRule(serviceSecurityGroup, Port.tcp(t.containerPort), 'to the tasks');

    this.services = {
      blue: this.fargateService('Blue', t, cluster, serviceSecurityGroup, t.desiredCount),
      green: this.fargateService('Green', t, cluster, serviceSecurityGroup, 0),
    };
    for (const colour of COLOURS) this.services[colour].attachToApplicationTargetGroup(this.targetGroups[colour]);

    this.alarms = COLOURS.flatMap((colour) => ALARM_KINDS.map((kind) => this.alarm(t, colour, kind)));
    this.outputs(t);
  }

  /** An HTTP listener whose default action forwards everything to one colour and 0 % to the other, as Baton expects. */
  private weightedListener(id: string, port: number, to: Colour): ApplicationListener {
    return this.loadBalancer.addListener(id, {
      port,
      protocol: ApplicationProtocol.HTTP,
      open: false,
      defaultAction: ListenerAction.weightedForward(
        COLOURS.map((colour) => ({ targetGroup: this.targetGroups[colour], weight: colour === to ? 100 : 0 })),
      ),
    });
  }

  private targetGroup(id: string, t: Topology): ApplicationTargetGroup {
    return new ApplicationTargetGroup(this, `${id}TargetGroup`, {
      vpc: this.vpc,
      port: t.containerPort,
      protocol: ApplicationProtocol.HTTP,
      targetType: TargetType.IP,
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        path: t.healthCheckPath,
        interval: Duration.seconds(t.healthCheck.intervalSeconds),
        healthyThresholdCount: t.healthCheck.healthyThreshold,
        unhealthyThresholdCount: t.healthCheck.unhealthyThreshold,
        healthyHttpCodes: '200',
      },
    });
  }

  private fargateService(id: string, t: Topology, cluster: Cluster, securityGroup: SecurityGroup, desiredCount: number): FargateService {
    return new FargateService(this, `${id}Service`, {
      cluster,
      serviceName: ecsServiceName(t, id === 'Blue' ? 'blue' : 'green'),
      taskDefinition: this.taskDefinition,
      desiredCount,
      // Baton needs the ECS deployment controller: it updates each colour's service itself.
      deploymentController: { type: DeploymentControllerType.ECS },
      // As Baton's deploy phase sets it on every update: a failing colour stops, and Baton rolls back by moving traffic.
      circuitBreaker: { enable: true, rollback: false },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      assignPublicIp: true,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      securityGroups: [securityGroup],
    });
  }

  private alarm(t: Topology, colour: Colour, kind: AlarmKind): Alarm {
    const metrics = this.targetGroups[colour].metrics;
    const period = Duration.seconds(t.alarms.periodSeconds);
    const [metric, threshold] =
      kind === '5xx'
        ? [metrics.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, { period, statistic: 'Sum' }), t.alarms.http5xxPerMinute]
        : [metrics.targetResponseTime({ period, statistic: 'Average' }), t.alarms.latencySeconds];
    return new Alarm(this, `${colour === 'blue' ? 'Blue' : 'Green'}${kind === '5xx' ? 'Http5xx' : 'Latency'}Alarm`, {
      alarmName: alarmName(t, colour, kind),
      alarmDescription: `${kind === '5xx' ? 'Target 5xx responses' : 'Target response time'} of ${ecsServiceName(t, colour)}; Baton rolls back while it fires`,
      metric,
      threshold,
      evaluationPeriods: t.alarms.evaluationPeriods,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      // An idle colour sends no datapoints: that is not a failure.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  private outputs(t: Topology): void {
    const values: Record<string, string> = {
      [OUTPUT.account]: this.account,
      [OUTPUT.region]: this.region,
      [OUTPUT.cluster]: this.services.blue.cluster.clusterName,
      [OUTPUT.blueService]: this.services.blue.serviceName,
      [OUTPUT.greenService]: this.services.green.serviceName,
      [OUTPUT.blueTargetGroup]: this.targetGroups.blue.targetGroupArn,
      [OUTPUT.greenTargetGroup]: this.targetGroups.green.targetGroupArn,
      [OUTPUT.productionListener]: this.productionListener.listenerArn,
      [OUTPUT.testListener]: this.testListener.listenerArn,
      [OUTPUT.productionUrl]: `http://${this.loadBalancer.loadBalancerDnsName}:${t.productionPort}`,
      [OUTPUT.testUrl]: `http://${this.loadBalancer.loadBalancerDnsName}:${t.testPort}`,
      [OUTPUT.taskDefinitionFamily]: this.taskDefinition.family,
      [OUTPUT.taskRole]: this.taskDefinition.taskRole.roleArn,
      [OUTPUT.executionRole]: this.taskDefinition.obtainExecutionRole().roleArn,
      [OUTPUT.repositoryName]: this.repository.repositoryName,
      [OUTPUT.repositoryUri]: this.repository.repositoryUri,
      [OUTPUT.appConfigSecret]: this.appConfig.secretArn,
    };
    for (const [id, value] of Object.entries(values)) new CfnOutput(this, id, { value });
  }
}
