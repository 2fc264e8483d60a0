/**
 * A newer image pushed while an older one deploys (lambdas/shared/queue.ts):
 * it is queued and starts when the running deployment ends, the latest queued
 * image wins, and with onNewerImage "supersede" the running deployment is
 * rolled back first. End to end: the real state machine, the backstop on the
 * status-change events the template's rule delivers, the template's IAM.
 */
import { describe, expect, it } from 'vitest';
import type { SimulationContext } from '../../sim/context.ts';
import type { SimulationResult } from '../../sim/harness.ts';
import { exampleConfig } from '../support/config.ts';
import { record, runWith, weights } from '../support/simulation.ts';

const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:baton-production:deploy-1';
const HOLDER = `deployment deploy-1 (image tag v1.4.2, since 2026-11-23T09:00:00.000Z, execution ${EXECUTION_ARN})`;
const QUEUED_PATH = ['Receive request', 'Is it a recovery?', 'Is it a release?', 'Initialize', 'Initialize failed'];

/** Pushes a healthy image to web's repository, `seconds` after the simulated start (09:00). */
function push(ctx: SimulationContext, tag: string, digestDigit: string, pushedAt: string): void {
  ctx.model.repositories[ctx.service.ecr.repositoryName]?.images.push({
    digest: `sha256:${digestDigit.repeat(64)}`,
    tags: [tag],
    pushedAt,
    behaviour: 'healthy',
  });
}

/** An ECR push trigger of `tag`, started after the bake's first check of deploy-1 (the bake runs 300 s). */
function triggerDuringBake(ctx: SimulationContext, suffix: string, tag: string): void {
  ctx.triggers.push({ afterState: 'Check bake', suffix, input: { service: 'web', imageTag: tag, trigger: 'ecr' } });
}

function execution(result: SimulationResult, name: string) {
  return result.others.find((candidate) => candidate.name === name);
}

describe('a newer image pushed while an older one deploys', () => {
  it('queues it (QUEUED naming the holder), then deploys it from the queue once the holder succeeded', async () => {
    // Arrange
    const setup = (ctx: SimulationContext) => {
      push(ctx, 'v1.4.3', 'a', '2026-11-23T09:01:00Z');
      triggerDuringBake(ctx, 'newer', 'v1.4.3');
    };

    // Act
    const result = await runWith({}, setup);

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(record(result)?.status).toBe('SUCCEEDED');
    expect(execution(result, 'deploy-1-newer')?.executionPath).toEqual([
      ...QUEUED_PATH,
      'Record rejection',
      'Is the trigger redundant?',
      'Newer image queued',
    ]);
    expect(record(result, 'deploy-1-newer')).toMatchObject({
      status: 'QUEUED',
      imageTag: 'v1.4.3',
      trigger: 'ecr',
      outcomeReason: `QueuedError: image tag v1.4.3 (pushed 2026-11-23T09:01:00.000Z) is queued behind ${HOLDER}; it deploys when that deployment ends, unless a newer image is queued meanwhile (execution deploy-1-newer-dequeued)`,
    });
    expect(execution(result, 'deploy-1-newer-dequeued')?.status).toBe('SUCCEEDED');
    expect(execution(result, 'deploy-1-newer-dequeued')?.input).toEqual({
      service: 'web',
      imageTag: 'v1.4.3',
      trigger: 'ecr',
      hotfix: false,
      dryRun: false,
      queuedFrom: 'deploy-1-newer',
    });
    expect(record(result, 'deploy-1-newer-dequeued')).toMatchObject({
      status: 'SUCCEEDED',
      imageTag: 'v1.4.3',
      queuedFrom: 'deploy-1-newer',
      targetColour: 'blue',
    });
    expect(result.others.map((other) => other.name)).toEqual(['deploy-1-newer', 'deploy-1-newer-dequeued']);
    expect(result.backstop).toEqual([
      {
        execution: 'deploy-1-newer',
        result: { action: 'none', reason: 'status SUCCEEDED needs no backstop', queue: { action: 'waiting', holder: 'deploy-1' } },
      },
      {
        execution: 'deploy-1',
        result: {
          action: 'none',
          reason: 'status SUCCEEDED needs no backstop',
          queue: { action: 'started', execution: 'deploy-1-newer-dequeued', queuedFrom: 'deploy-1-newer' },
        },
      },
      { execution: 'deploy-1-newer-dequeued', result: { action: 'none', reason: 'status SUCCEEDED needs no backstop' } },
    ]);
    expect(result.model.table.get('QUEUE#web|QUEUE')).toBeUndefined();
    expect(result.model.table.get('LOCK#web|LOCK')).toBeUndefined();
    expect(result.model.service('prod', 'web-blue')?.taskDefinitionArn).toBe('arn:aws:ecs:eu-west-1:123456789012:task-definition/web:9');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });

  it('keeps only the latest of two queued images: the earlier one never starts', async () => {
    // Arrange
    const setup = (ctx: SimulationContext) => {
      push(ctx, 'v1.4.3', 'a', '2026-11-23T09:01:00Z');
      push(ctx, 'v1.4.4', 'b', '2026-11-23T09:02:00Z');
      triggerDuringBake(ctx, 'first', 'v1.4.3');
      triggerDuringBake(ctx, 'second', 'v1.4.4');
    };

    // Act
    const result = await runWith({}, setup);

    // Assert
    expect(record(result, 'deploy-1-first')?.status).toBe('QUEUED');
    expect(record(result, 'deploy-1-second')?.status).toBe('QUEUED');
    expect(result.others.map((other) => other.name)).toEqual(['deploy-1-first', 'deploy-1-second', 'deploy-1-second-dequeued']);
    expect(record(result, 'deploy-1-second-dequeued')).toMatchObject({
      status: 'SUCCEEDED',
      imageTag: 'v1.4.4',
      queuedFrom: 'deploy-1-second',
    });
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });

  it('ends an image older than the one queued SUPERSEDED, naming the queued one', async () => {
    // Arrange: v1.4.4 is queued first, then v1.4.3 (pushed before it) is triggered.
    const setup = (ctx: SimulationContext) => {
      push(ctx, 'v1.4.3', 'a', '2026-11-23T09:01:00Z');
      push(ctx, 'v1.4.4', 'b', '2026-11-23T09:02:00Z');
      triggerDuringBake(ctx, 'newest', 'v1.4.4');
      triggerDuringBake(ctx, 'older', 'v1.4.3');
    };

    // Act
    const result = await runWith({}, setup);

    // Assert
    expect(record(result, 'deploy-1-older')).toMatchObject({
      status: 'SUPERSEDED',
      outcomeReason:
        'SupersededError: image tag v1.4.3 (pushed 2026-11-23T09:01:00.000Z) is older than image tag v1.4.4 (pushed 2026-11-23T09:02:00.000Z), queued by deploy-1-newest behind deployment deploy-1; the latest queued image deploys next',
    });
    expect(result.others.map((other) => other.name)).toEqual(['deploy-1-newest', 'deploy-1-older', 'deploy-1-newest-dequeued']);
    expect(record(result, 'deploy-1-newest-dequeued')).toMatchObject({ status: 'SUCCEEDED', imageTag: 'v1.4.4' });
  });

  it('refuses a newer image started from the console, naming the holder, and queues nothing', async () => {
    // Arrange
    const setup = (ctx: SimulationContext) => {
      push(ctx, 'v1.4.3', 'a', '2026-11-23T09:01:00Z');
      ctx.triggers.push({ afterState: 'Check bake', suffix: 'console', input: { service: 'web', imageTag: 'v1.4.3' } });
    };

    // Act
    const result = await runWith({}, setup);

    // Assert
    expect(record(result, 'deploy-1-console')).toMatchObject({
      status: 'REJECTED',
      outcomeReason: `DeploymentLockedError: web is locked by ${HOLDER}`,
    });
    expect(result.others.map((other) => other.name)).toEqual(['deploy-1-console']);
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
  });

  it('with onNewerImage "supersede", rolls the running deployment back, then deploys the newer image', async () => {
    // Arrange
    const config = exampleConfig();
    const web = config.services.find((service) => service.name === 'web');
    if (!web) throw new Error('no web service');
    web.onNewerImage = 'supersede';
    const setup = (ctx: SimulationContext) => {
      push(ctx, 'v1.4.3', 'a', '2026-11-23T09:01:00Z');
      triggerDuringBake(ctx, 'newer', 'v1.4.3');
    };

    // Act
    const result = await runWith({ config }, setup);

    // Assert
    expect(result.main.status).toBe('ABORTED');
    expect(record(result, 'deploy-1-newer')).toMatchObject({
      status: 'QUEUED',
      outcomeReason: `QueuedError: image tag v1.4.3 (pushed 2026-11-23T09:01:00.000Z) supersedes ${HOLDER}: that execution is stopped and rolled back, then this image deploys (execution deploy-1-newer-dequeued)`,
    });
    expect(record(result)).toMatchObject({
      status: 'ROLLED_BACK',
      supersededBy: 'image tag v1.4.3 (arn:aws:states:eu-west-1:123456789012:execution:baton-production:deploy-1-newer)',
    });
    expect(String(record(result)?.outcomeReason)).toBe(
      'Superseded: superseded by image tag v1.4.3 (arn:aws:states:eu-west-1:123456789012:execution:baton-production:deploy-1-newer); execution deploy-1 was stopped and its deployment rolled back',
    );
    expect(result.others.map((other) => other.name)).toEqual(['deploy-1-newer', 'deploy-1-recovery-1', 'deploy-1-newer-dequeued']);
    expect(record(result, 'deploy-1-newer-dequeued')).toMatchObject({
      status: 'SUCCEEDED',
      imageTag: 'v1.4.3',
      queuedFrom: 'deploy-1-newer',
    });
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
  });
});
