/** The simulated account written back as an account file (AccountModel.toSpec), so a run can be inspected or chained. */
import type { AccountModel } from './model.ts';

export function accountSpecOf(model: AccountModel): Record<string, unknown> {
  const clusters: Record<string, { services: Record<string, unknown> }> = {};
  for (const service of model.services.values()) {
    const definition = model.taskDefinitions.get(service.taskDefinitionArn);
    clusters[service.cluster] ??= { services: {} };
    const entry = clusters[service.cluster];
    if (entry) {
      entry.services[service.name] = {
        taskDefinition: definition ? `${definition.family}:${definition.revision}` : service.taskDefinitionArn,
        desiredCount: service.desiredCount,
        ...(service.targetGroupArn ? { targetGroupArn: service.targetGroupArn } : {}),
        ...(service.deploymentController ? { deploymentController: service.deploymentController } : {}),
        ...model.scaling.serviceSpec(`${service.cluster}/${service.name}`),
      };
    }
  }
  const scaling = model.scaling.toSpec();
  return {
    account: model.account,
    region: model.region,
    seed: model.traffic.seed,
    taskStartSeconds: model.taskStartSeconds,
    ...(model.ec2 ? { ec2: model.ec2 } : {}),
    ecs: {
      clusters,
      taskDefinitions: [...model.taskDefinitions.values()].map(({ arn: _arn, ...definition }) => definition),
      ...(Object.keys(model.workloads).length > 0 ? { workloads: model.workloads } : {}),
    },
    elb: { listeners: model.listeners, targetGroups: model.targetGroups },
    ecr: { repositories: model.repositories },
    secretsManager: { secrets: model.secrets },
    elasticache: { replicationGroups: model.replicationGroups },
    cloudwatch: { alarms: model.alarms },
    deploymentTable: [...model.table.values()],
    ...(model.executions.length > 0 ? { stepFunctions: { executions: model.executions } } : {}),
    ...(scaling ? { applicationAutoScaling: scaling } : {}),
  };
}
