/**
 * What the discovery means for Baton: which colour the service is, its twin
 * (found or to create), the production and test listeners, and what is
 * missing before Baton can deploy it.
 */
import type { Discovery, TaskFacts } from './discover.ts';
import type { ForwardSite } from './listeners.ts';

export interface Colour {
  readonly serviceName: string;
  readonly targetGroupName: string;
  /** Absent for a twin target group still to create. */
  readonly targetGroupArn?: string;
}

export type MissingPiece = 'target group' | 'service' | 'weighted forward';

export interface Plan {
  readonly blue: Colour;
  readonly green: Colour;
  /** The colour discovered, and its twin (found or to create). */
  readonly own: 'blue' | 'green';
  readonly twin: 'blue' | 'green';
  readonly production?: ForwardSite;
  readonly test?: ForwardSite;
  readonly missing: readonly MissingPiece[];
  /** What the config needs and the task definition does not say. */
  readonly problems: readonly string[];
}

/** web-blue <-> web-green; any other name gets a -green twin. Target group names are at most 32 characters. */
export function twinName(name: string, max = 255): string {
  if (name.endsWith('-blue')) return `${name.slice(0, -'-blue'.length)}-green`.slice(0, max);
  if (name.endsWith('-green')) return `${name.slice(0, -'-green'.length)}-blue`.slice(0, max);
  return `${name.slice(0, max - '-green'.length)}-green`;
}

/** The config's service name: the ECS service's without its colour. */
export function baseName(name: string): string {
  return name.replace(/-(blue|green)$/, '');
}

/**
 * Production is the forward that gives the live colour (the one with more
 * tasks) the most weight; test, another forward to both colours.
 */
function listenersOf(d: Discovery): { production?: ForwardSite; test?: ForwardSite } {
  const twinArn = d.twinTargetGroupArn;
  const liveArn = d.twin && twinArn && d.twin.desiredCount > d.service.desiredCount ? twinArn : d.service.targetGroupArn;
  const both = d.sites.filter((site) => !twinArn || twinArn in site.weights);
  const ranked = [...(both.length > 0 ? both : d.sites)].sort((a, b) => (b.weights[liveArn] ?? 0) - (a.weights[liveArn] ?? 0));
  const [production] = ranked;
  const test = twinArn ? both.find((site) => site !== production) : undefined;
  return { ...(production ? { production } : {}), ...(test ? { test } : {}) };
}

/** What the config needs and the task definition does not say. */
export function taskProblems(d: TaskFacts): string[] {
  return [
    ...(d.taskRoleArn ? [] : [`task definition ${d.family} has no task role (taskRoleArn): Baton's config names one`]),
    ...(d.executionRoleArn ? [] : [`task definition ${d.family} has no execution role (executionRoleArn): Baton's config names one`]),
    ...(d.repositoryName ? [] : [`container ${d.containerName} runs ${d.image}, not an image from ECR: Baton deploys ECR images`]),
  ];
}

export function planFor(d: Discovery): Plan {
  const own = d.service.name.endsWith('-green') ? 'green' : 'blue';
  const twin = own === 'blue' ? 'green' : 'blue';
  const ownColour: Colour = { serviceName: d.service.name, targetGroupName: d.targetGroup.name, targetGroupArn: d.service.targetGroupArn };
  const twinColour: Colour = {
    serviceName: d.twin?.name ?? twinName(d.service.name),
    targetGroupName: d.twinTargetGroupArn?.split('/')[1] ?? twinName(d.targetGroup.name, 32),
    ...(d.twinTargetGroupArn ? { targetGroupArn: d.twinTargetGroupArn } : {}),
  };
  const { production, test } = listenersOf(d);
  const missing: MissingPiece[] = [
    ...(d.twinTargetGroupArn ? [] : ['target group' as const]),
    ...(d.twin ? [] : ['service' as const]),
    ...(production && d.twinTargetGroupArn && d.twinTargetGroupArn in production.weights ? [] : ['weighted forward' as const]),
  ];
  const problems = taskProblems(d);
  return {
    blue: own === 'blue' ? ownColour : twinColour,
    green: own === 'green' ? ownColour : twinColour,
    own,
    twin,
    ...(production ? { production } : {}),
    ...(test ? { test } : {}),
    missing,
    problems,
  };
}
