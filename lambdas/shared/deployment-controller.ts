/**
 * Baton deploys a service itself (UpdateService with a new task definition)
 * and moves the listener's weights: a service whose deployments belong to
 * CodeDeploy or to an external controller would be fought over. `baton init`
 * refuses such a service and validate refuses to deploy it, with this reason.
 */

/** Why Baton cannot deploy a service with this deployment controller; undefined for ECS (absent means ECS). */
export function deploymentControllerProblem(serviceName: string, type: string | undefined): string | undefined {
  if (type === undefined || type === 'ECS') return undefined;
  const owner = type === 'CODE_DEPLOY' ? 'CodeDeploy deploys it and moves its traffic' : 'an external controller deploys it';
  return `ECS service ${serviceName} uses the ${type} deployment controller (${owner}); Baton needs the ECS deployment controller`;
}
