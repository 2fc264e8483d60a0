/**
 * What the people told about an ECR-triggered deployment read (issue 16,
 * item 8: "outcomes of ECR-triggered deployments name the digest, not the
 * pushed tag"): the execution starts with the input the ECR push rule builds
 * (test/stack/triggers/ecr-push.test.ts renders it from the template), by
 * digest; its record, its outcome and its approval request name the pushed
 * tag, and the request's reason names repository:tag.
 */
import { describe, expect, it } from 'vitest';
import { secretsProvider } from '../../lambdas/shared/clients/secrets.ts';
import { record, run } from '../support/simulation.ts';

/** The digest the example account's web repository tags v1.4.2 (sim/accounts/example.json). */
const NEW_DIGEST = 'sha256:2b41b068de9587d3a582a081cb97a55390787552acae4f690637cd64ff74673f';
const EVENT_ID = '13cde686-328b-6117-af20-0e5566167482';
/** The input the ECR push rule of the web service starts an execution with, for a push of web:v1.4.2. */
const PUSH_INPUT = {
  service: 'web',
  imageDigest: NEW_DIGEST,
  pushedTag: 'v1.4.2',
  trigger: 'ecr',
  reason: `ECR push of web:v1.4.2 (event ${EVENT_ID})`,
};

/** The lines of each notification the run published, with its subject. */
function notifications(result: Awaited<ReturnType<typeof run>>): Array<{ subject: string; lines: string[] }> {
  return result.model.notifications.map((n) => ({ subject: n.subject, lines: n.message.split('\n') }));
}

describe('an ECR-triggered deployment names the pushed tag', () => {
  it('in its record and in its outcome: image v1.4.2, why "ECR push of web:v1.4.2", the reason "v1.4.2 live on green"', async () => {
    // Arrange: the webhook URL of an earlier run is cached in the process (notifications.test.ts).
    secretsProvider().clearCache();

    // Act
    const result = await run({ input: PUSH_INPUT });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(record(result)).toMatchObject({ trigger: 'ecr', imageTag: 'v1.4.2', imageDigest: NEW_DIGEST });
    const [start, outcome, ...others] = notifications(result);
    expect(others).toEqual([]);
    expect(start?.subject).toBe('Baton: web v1.4.2 deploying (all-at-once)');
    expect(outcome?.subject).toBe('Baton: web v1.4.2 SUCCEEDED');
    expect(outcome?.subject).not.toContain('sha256');
    expect(outcome?.lines).toEqual(
      expect.arrayContaining([
        'image: v1.4.2',
        'trigger: ecr',
        `why: ECR push of web:v1.4.2 (event ${EVENT_ID})`,
        'reason: v1.4.2 live on green (web-green) after a 300 s bake',
      ]),
    );
    expect(outcome?.lines.join('\n')).not.toContain(NEW_DIGEST);
  });

  it('when a second delivery of the push arrives while the first deploys: DUPLICATE, its record and outcome name v1.4.2, not the digest', async () => {
    // Act: EventBridge delivers the push again after the first execution took the lock; the second ends in initialize.
    const result = await run({ input: PUSH_INPUT, faults: ['duplicate-trigger'] });

    // Assert
    expect(record(result, 'deploy-1-duplicate')).toMatchObject({ status: 'DUPLICATE', imageTag: 'v1.4.2', imageDigest: NEW_DIGEST });
    const duplicate = notifications(result).filter((n) => n.lines[0] === 'web: DUPLICATE');
    expect(duplicate).toHaveLength(1);
    expect(duplicate[0]?.subject).toContain('v1.4.2');
    expect(duplicate[0]?.subject).not.toContain('sha256');
    expect(duplicate[0]?.lines).toEqual(expect.arrayContaining(['image: v1.4.2', `why: ECR push of web:v1.4.2 (event ${EVENT_ID})`]));
  });

  it('when it waits for approval: the request names v1.4.2', async () => {
    // Act
    const result = await run({ input: { ...PUSH_INPUT, approval: true }, approval: 'approve' });

    // Assert
    const [request] = notifications(result);
    expect(request?.subject).toContain('v1.4.2');
    expect(request?.subject).not.toContain('sha256');
    expect(request?.lines).toEqual(expect.arrayContaining(['image: v1.4.2', `why: ECR push of web:v1.4.2 (event ${EVENT_ID})`]));
  });
});
