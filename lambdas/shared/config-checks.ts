/**
 * The config's checks across fields, each returning its problems for the
 * schema's superRefine (config-schema.ts) to report at the field's path.
 */
import type { ServiceConfig } from './config-schema.ts';
import { issuePath } from './zod-format.ts';

/** Why a resource may serve one role of one service only, by kind. */
const SHARED_RESOURCE_HARM = {
  listener:
    "a listener or rule carries one role of one service: shared, a move of test (or another service's) traffic moves production traffic before any check",
  'ECS service': 'an ECS service is one colour of one service: shared, a deployment replaces the tasks that serve the other colour',
  'target group': 'a target group holds one colour of one service: shared, weights meant for one colour send traffic to the other',
} as const;

/**
 * Listeners, ECS services and target groups that two roles share: a test
 * listener that is the production listener, two services on one listener,
 * blue and green (of one service or two) on one ECS service or target group.
 * Each problem names both field paths and the value.
 */
export function sharedResourceProblems(services: readonly ServiceConfig[]): Array<{ path: Array<string | number>; message: string }> {
  const claimed = new Map<string, Array<string | number>>();
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  const claim = (kind: keyof typeof SHARED_RESOURCE_HARM, value: string, path: Array<string | number>) => {
    const first = claimed.get(`${kind} ${value}`);
    if (first) problems.push({ path, message: `${kind} ${value} is also ${issuePath(first)}; ${SHARED_RESOURCE_HARM[kind]}` });
    else claimed.set(`${kind} ${value}`, path);
  };
  services.forEach((service, index) => {
    if (service.productionListenerArn) claim('listener', service.productionListenerArn, ['services', index, 'productionListenerArn']);
    if (service.testListenerArn) claim('listener', service.testListenerArn, ['services', index, 'testListenerArn']);
    for (const colour of ['blue', 'green'] as const) {
      claim('ECS service', `${service.cluster}/${service[colour].serviceName}`, ['services', index, colour, 'serviceName']);
      const targetGroupArn = service[colour].targetGroupArn;
      if (targetGroupArn) claim('target group', targetGroupArn, ['services', index, colour, 'targetGroupArn']);
    }
  });
  return problems;
}

/**
 * What a service's kind needs and forbids: a web service its production
 * listener and a target group per colour; a worker none of the listener's
 * fields, nor what only a listener makes possible (a smoke test through the
 * test listener, the analysis of target group metrics, an autoscaler whose
 * desired counts would fight the shares Baton writes).
 */
export function kindProblems(service: ServiceConfig): Array<{ path: Array<string | number>; message: string }> {
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  if (service.kind === 'web') {
    const hint = '(or set "kind": "worker" for a service without a load balancer)';
    if (!service.productionListenerArn) {
      problems.push({
        path: ['productionListenerArn'],
        message: `a web service needs the listener or rule whose weights decide its live colour ${hint}`,
      });
    }
    for (const colour of ['blue', 'green'] as const) {
      if (!service[colour].targetGroupArn) {
        problems.push({ path: [colour, 'targetGroupArn'], message: `a web service needs the target group of each colour ${hint}` });
      }
    }
    if (service.analysis?.metrics) {
      problems.push({
        path: ['analysis', 'metrics'],
        message: "a web service is judged on its target groups' metrics; analysis.metrics is a worker's own",
      });
    }
    return problems;
  }
  const worker = "a worker has no load balancer: its production is the colours' shares of running tasks";
  if (service.productionListenerArn) problems.push({ path: ['productionListenerArn'], message: `${worker}; remove productionListenerArn` });
  if (service.testListenerArn) problems.push({ path: ['testListenerArn'], message: `${worker}; remove testListenerArn` });
  for (const colour of ['blue', 'green'] as const) {
    if (service[colour].targetGroupArn) problems.push({ path: [colour, 'targetGroupArn'], message: `${worker}; remove targetGroupArn` });
  }
  if (service.smokeTest) problems.push({ path: ['smokeTest'], message: `${worker}; a smoke test needs a test listener` });
  if (service.analysis && !service.analysis.metrics) {
    problems.push({
      path: ['analysis', 'metrics'],
      message: `${worker}; its analysis compares the colours on metrics it publishes per colour: name them (namespace, processed, failed)`,
    });
  }
  if (service.analysis?.latency && service.analysis.metrics && !service.analysis.metrics.duration) {
    problems.push({
      path: ['analysis', 'metrics', 'duration'],
      message: 'analysis.latency compares the time each unit of work took: name the metric that records it',
    });
  }
  if (service.autoscaling) {
    problems.push({
      path: ['autoscaling'],
      message: `${worker}, which Baton moves by desired counts; an autoscaler changing those counts would move production behind its back`,
    });
  }
  return problems;
}

/** A load balancer's own DNS name: <name>-<id>.<region>.elb.amazonaws.com (internal ones start with "internal-"). */
const ELB_DNS_NAME = /\.elb\.amazonaws\.com(\.cn)?$/i;

/** Whether an address is private (RFC 1918, the 100.64.0.0/10 shared space, IPv6 unique local): reachable only from inside a network. */
export function isPrivateAddress(host: string): boolean {
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(host);
  if (ipv4) {
    const [a, b] = [Number(ipv4[1]), Number(ipv4[2])];
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  return /^\[?f[cd][0-9a-f]{2}:/i.test(host);
}

/**
 * Why a smoke test aimed at this URL can never pass as configured: HTTPS on a
 * load balancer's own DNS name (no certificate covers *.elb.amazonaws.com), or
 * an internal load balancer or private address while the function runs
 * outside any VPC.
 */
export function smokeTestUrlProblems(baseUrl: string, hasNetwork: boolean): string[] {
  const url = new URL(baseUrl);
  const host = url.hostname;
  const problems: string[] = [];
  if (url.protocol === 'https:' && ELB_DNS_NAME.test(host)) {
    problems.push(
      `https to ${host} cannot pass: a certificate never covers a load balancer's own *.elb.amazonaws.com name, so TLS verification fails; use https with the DNS name the test listener's certificate covers, or http on the test listener`,
    );
  }
  const internal = ELB_DNS_NAME.test(host) && /^internal-/i.test(host);
  if ((internal || isPrivateAddress(host)) && !hasNetwork) {
    problems.push(
      `${host} is ${internal ? 'an internal load balancer' : 'a private address'}, reachable only from inside its VPC; set pipeline.network (vpcId, subnetIds, securityGroupIds) so the smoke test runs there`,
    );
  }
  return problems;
}

/** The first cycle in the services' dependsOn, as names from a service back to itself; undefined when there is none. */
export function dependencyCycle(
  services: ReadonlyArray<{ readonly name: string; readonly dependsOn: readonly string[] }>,
): string[] | undefined {
  const dependsOn = new Map(services.map((service) => [service.name, service.dependsOn]));
  const done = new Set<string>();
  const visit = (name: string, path: string[]): string[] | undefined => {
    const seen = path.indexOf(name);
    if (seen >= 0) return [...path.slice(seen), name];
    if (done.has(name)) return undefined;
    for (const dependency of dependsOn.get(name) ?? []) {
      const cycle = visit(dependency, [...path, name]);
      if (cycle) return cycle;
    }
    done.add(name);
    return undefined;
  };
  for (const service of services) {
    const cycle = visit(service.name, []);
    if (cycle) return cycle;
  }
  return undefined;
}
