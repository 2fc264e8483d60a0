/**
 * What a service without a twin lacks for blue/green, to paste: the twin's
 * target group, the twin service (a copy of the service's settings, no
 * tasks, the ECS deployment controller) and the listener's forward to both
 * at 100/0; as a CDK (TypeScript) snippet and as AWS CLI commands. The
 * forward comes before the service: ECS refuses a service whose target group
 * no listener forwards to.
 */
import type { Discovery, TaskFacts } from './discover.ts';
import type { Plan } from './plan.ts';

/** The twin ECS service: a copy of the discovered one's settings, no tasks, the ECS deployment controller. */
export interface TwinService {
  readonly d: TaskFacts;
  readonly serviceName: string;
  /** A web service's: the twin target group (as the snippet refers to it: a CDK expression, a shell word) and the container port. */
  readonly loadBalancer?: { readonly targetGroupRef: string; readonly port: number };
}

export function twinServiceCdk(twin: TwinService): string[] {
  const { d } = twin;
  const network = d.service.network;
  return [
    `new ecs.CfnService(this, '${pascal(twin.serviceName)}Service', {`,
    `  cluster: '${d.cluster}',`,
    `  serviceName: '${twin.serviceName}',`,
    `  taskDefinition: '${d.service.taskDefinitionArn}',`,
    '  desiredCount: 0,',
    `  launchType: '${d.service.launchType}',`,
    "  deploymentController: { type: 'ECS' },",
    ...(network
      ? [
          '  networkConfiguration: {',
          `    awsvpcConfiguration: { subnets: ${list(network.subnets)}, securityGroups: ${list(network.securityGroups)}, assignPublicIp: '${network.assignPublicIp}' },`,
          '  },',
        ]
      : []),
    ...(twin.loadBalancer
      ? [
          `  loadBalancers: [{ targetGroupArn: ${twin.loadBalancer.targetGroupRef}, containerName: '${d.containerName}', containerPort: ${twin.loadBalancer.port} }],`,
          `}); // deploy it after the forward: ECS refuses a target group no listener forwards to`,
        ]
      : ['});']),
  ];
}

export function twinServiceCli(twin: TwinService): string {
  const { d } = twin;
  const network = d.service.network;
  return [
    `aws ecs create-service --cluster ${d.cluster} --service-name ${twin.serviceName}`,
    `--task-definition ${d.service.taskDefinitionArn} --desired-count 0 --launch-type ${d.service.launchType}`,
    '--deployment-controller type=ECS',
    ...(network
      ? [
          `--network-configuration 'awsvpcConfiguration={subnets=[${network.subnets.join(',')}],securityGroups=[${network.securityGroups.join(',')}],assignPublicIp=${network.assignPublicIp}}'`,
        ]
      : []),
    ...(twin.loadBalancer
      ? [
          `--load-balancers targetGroupArn=${twin.loadBalancer.targetGroupRef},containerName=${d.containerName},containerPort=${twin.loadBalancer.port}`,
        ]
      : []),
    `--region ${d.region}`,
  ].join(' \\\n  ');
}

interface Pieces {
  readonly own: Plan['blue'];
  readonly twin: Plan['blue'];
  readonly twinVar: string;
  readonly listenerArn: string;
  readonly kind: 'listener' | 'rule';
  readonly containerPort: number;
}

function piecesOf(d: Discovery, plan: Plan): Pieces {
  return {
    own: plan[plan.own],
    twin: plan[plan.twin],
    twinVar: `${plan.twin}TargetGroup`,
    listenerArn: plan.production?.arn ?? '<the listener or rule that forwards to the service>',
    kind: plan.production?.kind ?? 'listener',
    containerPort: d.service.containerPort ?? d.targetGroup.port,
  };
}

function has(plan: Plan, piece: Plan['missing'][number]): boolean {
  return plan.missing.includes(piece);
}

/** Weights in the order blue, green: the discovered colour keeps all the traffic. */
function weightsText(plan: Plan, ownRef: string, twinRef: string, format: (ref: string, weight: number) => string): string[] {
  const own = format(ownRef, 100);
  const twin = format(twinRef, 0);
  return plan.own === 'blue' ? [own, twin] : [twin, own];
}

export function cdkSnippet(d: Discovery, plan: Plan): string {
  const p = piecesOf(d, plan);
  const twinRef = has(plan, 'target group') ? `${p.twinVar}.ref` : `'${p.twin.targetGroupArn}'`;
  const lines = [
    `// Baton: the twin of ${d.service.name} (cluster ${d.cluster}). In the stack that owns ${d.service.name}.`,
    "import * as ecs from 'aws-cdk-lib/aws-ecs';",
    "import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';",
    '',
  ];
  if (has(plan, 'target group'))
    lines.push(
      `const ${p.twinVar} = new elbv2.CfnTargetGroup(this, '${pascal(p.twin.targetGroupName)}TargetGroup', {`,
      `  name: '${p.twin.targetGroupName}',`,
      `  vpcId: '${d.targetGroup.vpcId}',`,
      `  port: ${d.targetGroup.port},`,
      `  protocol: '${d.targetGroup.protocol}',`,
      `  targetType: '${d.targetGroup.targetType}',`,
      `  healthCheckPath: '${d.targetGroup.healthCheckPath}',`,
      '});',
      '',
    );
  if (has(plan, 'weighted forward'))
    lines.push(
      `// On the Cfn${p.kind === 'rule' ? 'ListenerRule' : 'Listener'} that owns ${p.listenerArn}:`,
      `// forward to both colours, ${plan.own} keeping all the traffic.`,
      `${p.kind === 'rule' ? 'actions' : 'defaultActions'}: [`,
      "  { type: 'forward', forwardConfig: { targetGroups: [",
      ...weightsText(plan, `'${p.own.targetGroupArn}'`, twinRef, (ref, weight) => `    { targetGroupArn: ${ref}, weight: ${weight} },`),
      '  ] } },',
      '],',
      '',
    );
  if (has(plan, 'service'))
    lines.push(
      ...twinServiceCdk({
        d,
        serviceName: p.twin.serviceName,
        loadBalancer: { targetGroupRef: twinRef, port: p.containerPort },
      }),
    );
  return `${lines.join('\n').trimEnd()}\n`;
}

export function cliCommands(d: Discovery, plan: Plan): string {
  const p = piecesOf(d, plan);
  const region = `--region ${d.region}`;
  const twinRef = has(plan, 'target group') ? '"$TWIN_TARGET_GROUP"' : (p.twin.targetGroupArn ?? '');
  const lines: string[] = [];
  if (has(plan, 'target group'))
    lines.push(
      `TWIN_TARGET_GROUP=$(aws elbv2 create-target-group --name ${p.twin.targetGroupName} --protocol ${d.targetGroup.protocol} --port ${d.targetGroup.port} --target-type ${d.targetGroup.targetType} --vpc-id ${d.targetGroup.vpcId} --health-check-path ${d.targetGroup.healthCheckPath} ${region} --query 'TargetGroups[0].TargetGroupArn' --output text)`,
    );
  if (has(plan, 'weighted forward')) {
    const twinArn = has(plan, 'target group') ? '$TWIN_TARGET_GROUP' : (p.twin.targetGroupArn ?? '');
    const groups = weightsText(plan, p.own.targetGroupArn ?? '', twinArn, (ref, weight) =>
      JSON.stringify({ TargetGroupArn: ref, Weight: weight }),
    );
    const actions = `[{"Type":"forward","ForwardConfig":{"TargetGroups":[${groups.join(',')}]}}]`;
    // In double quotes the shell puts the new target group's ARN in; the JSON's own quotes are escaped.
    const quoted = `"${actions.replaceAll('"', '\\"')}"`;
    if (plan.production && plan.production.otherActions > 0)
      lines.push(`# ${p.listenerArn} authenticates first: put its authentication actions before the forward`);
    lines.push(
      p.kind === 'rule'
        ? `aws elbv2 modify-rule --rule-arn ${p.listenerArn} --actions ${quoted} ${region}`
        : `aws elbv2 modify-listener --listener-arn ${p.listenerArn} --default-actions ${quoted} ${region}`,
    );
  }
  if (has(plan, 'service'))
    lines.push(twinServiceCli({ d, serviceName: p.twin.serviceName, loadBalancer: { targetGroupRef: twinRef, port: p.containerPort } }));
  return `${lines.join('\n')}\n`;
}

function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function list(items: readonly string[]): string {
  return `[${items.map((item) => `'${item}'`).join(', ')}]`;
}
