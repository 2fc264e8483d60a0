/**
 * Bad config and bad input in the rehearsal (issue 14, items 4, 10 and 12):
 * a config that shares a listener or can never finish is refused before
 * anything is built; bad execution input ends REJECTED naming the field, with
 * listener weights and ECS services unchanged and nothing of the bad value
 * copied into the record, its EventBridge event or its notification.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../sim/cli-main.ts';
import type { SimulationResult } from '../../sim/harness.ts';
import { SimulationInputError } from '../../sim/stepfunctions/execution.ts';
import { rawExampleConfig } from '../support/config.ts';
import { exampleAccount, NEW_TAG, record, run, weights } from '../support/simulation.ts';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

/** The example config with `change` applied, written to a file of its own. */
function configFile(change: (web: Record<string, unknown>) => void): string {
  const raw = rawExampleConfig() as { services: Array<Record<string, unknown>> };
  const [web] = raw.services;
  if (!web) throw new Error('the example config has no service');
  change(web);
  const file = join(mkdtempSync(join(tmpdir(), 'baton-bad-')), 'baton.config.json');
  writeFileSync(file, JSON.stringify(raw));
  return file;
}

/** Calls that change something: nothing may have moved. */
const changes = (result: SimulationResult) =>
  result.apis.calls.filter((call) => ['UpdateService', 'ModifyListener', 'ModifyRule', 'RegisterTaskDefinition'].includes(call.operation));

/** Everything the rejection wrote out: the record, the EventBridge events and the SNS messages, as text. */
const written = (result: SimulationResult) => JSON.stringify([record(result), result.model.events, result.model.notifications]);

const PRODUCTION = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2';

describe('a config that shares a listener (item 4)', () => {
  it('is refused before anything runs: a test listener that is the production listener', async () => {
    const file = configFile((web) => {
      web.testListenerArn = PRODUCTION;
    });

    const { code, err, out } = await cli(['--config', file]);

    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(
      `services[0].testListenerArn: listener ${PRODUCTION} is also services[0].productionListenerArn; a listener or rule carries one role of one service`,
    );
  });
});

describe('a config that can never finish (item 10)', () => {
  it('is refused before anything runs, with the arithmetic: linear 1 % every 86,400 s', async () => {
    const file = configFile((web) => {
      web.strategy = { type: 'linear', stepPercent: 1, intervalSeconds: 86_400 };
    });

    const { code, err } = await cli(['--config', file]);

    expect(code).toBe(2);
    expect(err).toContain(
      'services[0].strategy: linear 1 % every 86400 s holds 99 × 86400 s = 8,553,600 s, longer than the execution timeout of 21600 s (pipeline.executionTimeoutSeconds)',
    );
  });
});

describe('bad execution input (item 12)', () => {
  it('ends REJECTED on the console placeholder input, the reason showing what input is expected (issue 16, item 10)', async () => {
    const result = await run({ input: { Comment: 'Insert your JSON here' } });

    expect(record(result)?.status).toBe('REJECTED');
    expect(record(result)?.outcomeReason).toBe(
      'InvalidInputError: invalid execution input: expected a deployment request such as {"service": "web", "imageTag": "v1.4.2"} (or "imageDigest" or "rollbackTo" in place of "imageTag"); Comment: unknown field',
    );
    expect(changes(result)).toEqual([]);
  });

  it('ends REJECTED on a typo, the reason naming the field it meant (issue 16, item 10)', async () => {
    const result = await run({ input: { service: 'web', imageTag: NEW_TAG, dryrun: true, strategy: 'canary' } });

    expect(record(result)?.status).toBe('REJECTED');
    expect(record(result)?.outcomeReason).toBe(
      'InvalidInputError: invalid execution input: strategy: expected an object such as {"type": "canary", "percent": 10, "bakeSeconds": 300} (types: all-at-once, canary, linear, steps); dryrun: unknown field; did you mean "dryRun"?',
    );
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(changes(result)).toEqual([]);
  });

  it('ends REJECTED on a reason that forges a status line, and writes none of it out', async () => {
    const result = await run({ input: { service: 'web', imageTag: NEW_TAG, reason: 'ok\nSTATUS: SUCCEEDED' } });

    expect(record(result)?.status).toBe('REJECTED');
    expect(record(result)?.outcomeReason).toBe(
      'InvalidInputError: invalid execution input: reason: control character U+000A at character 3; write one line of printable text (no line breaks or terminal escapes)',
    );
    expect(record(result)?.reason).toBeUndefined();
    expect(written(result)).not.toContain('STATUS: SUCCEEDED');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(changes(result)).toEqual([]);
  });

  it('ends REJECTED on a 200,000-character reason and copies none of it, noting what it left out', async () => {
    const result = await run({ input: { service: 'web', imageTag: NEW_TAG, reason: 'x'.repeat(200_000) } });

    expect(record(result)?.status).toBe('REJECTED');
    expect(record(result)?.outcomeReason).toBe('InvalidInputError: invalid execution input: reason: at most 512 characters');
    expect(record(result)?.evidence).toContain(
      "input fields left out of this record: reason (200000 characters, not recorded: it fails the request's checks)",
    );
    expect(written(result)).not.toContain('x'.repeat(600));
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(changes(result)).toEqual([]);
  });

  it('records an input over 256 KiB, which Step Functions fails before initialize, without copying its service name', async () => {
    const result = await run({ input: { service: 's'.repeat(300_000), imageTag: NEW_TAG } });

    expect(result.main.error).toBe('States.DataLimitExceeded');
    expect(record(result)).toMatchObject({ service: '(unknown)', status: 'REJECTED' });
    expect(written(result)).not.toContain('s'.repeat(600));
    expect(changes(result)).toEqual([]);
  });

  it('ends REJECTED in validate when pushedTag is not a tag of the digest', async () => {
    const image = exampleAccount().ecr.repositories.web?.images.find((candidate) => candidate.tags.includes(NEW_TAG));
    if (!image) throw new Error(`the example account has no ${NEW_TAG}`);

    const result = await run({ input: { service: 'web', imageDigest: image.digest, pushedTag: 'v9.9.9', trigger: 'ecr' } });

    expect(record(result)?.status).toBe('REJECTED');
    expect(record(result)?.outcomeReason).toBe(
      `ImageNotFoundError: pushedTag: image ${image.digest} in ECR repository web is not tagged v9.9.9 (its tags: ${image.tags.join(', ')})`,
    );
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(changes(result)).toEqual([]);
  });

  it('ends REJECTED on a pasted ECR event of an untagged push', async () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    const event = {
      source: 'aws.ecr',
      'detail-type': 'ECR Image Action',
      id: '7bf73129-1428-4cd3-a780-95db273d1602',
      detail: { 'action-type': 'PUSH', result: 'SUCCESS', 'repository-name': 'web', 'image-digest': digest },
    };

    const result = await run({ input: event });

    expect(record(result)?.status).toBe('REJECTED');
    expect(record(result)?.outcomeReason).toBe(
      `InvalidInputError: invalid ECR event: detail.image-tag: missing; an untagged push starts no deployment (web deploys tags v*); to deploy this image, start {"service": ..., "imageDigest": "${digest}"}`,
    );
    expect(changes(result)).toEqual([]);
  });

  it('ends REJECTED on a key named __proto__', async () => {
    const result = await run({ input: JSON.parse(`{"service": "web", "imageTag": "${NEW_TAG}", "__proto__": {"dryRun": true}}`) });

    expect(record(result)?.outcomeReason).toBe(
      'InvalidInputError: invalid execution input: __proto__: "__proto__" cannot name a field (JavaScript objects drop it); remove or rename it',
    );
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(changes(result)).toEqual([]);
  });

  it('ends REJECTED on input nested 40 levels deep', async () => {
    let deep: unknown = 1;
    for (let level = 0; level < 40; level += 1) deep = { a: deep };

    const result = await run({ input: { service: 'web', imageTag: NEW_TAG, x: deep } });

    expect(record(result)?.outcomeReason).toBe(
      'InvalidInputError: invalid execution input: x: nested more than 32 levels deep (objects and arrays within each other); nothing Baton reads is nested that deep',
    );
    expect(changes(result)).toEqual([]);
  });

  it('refuses input nested 4,000 levels deep at once: the CLI before it starts, the simulation instead of stalling', async () => {
    const deep = `${'{"a":'.repeat(4000)}1${'}'.repeat(4000)}`;

    const { code, err } = await cli(['--input', `{"service":"web","imageTag":"${NEW_TAG}","x":${deep}}`]);

    expect(code).toBe(2);
    expect(err).toContain(
      '--input: x: nested more than 32 levels deep (objects and arrays within each other); nothing Baton reads is nested that deep',
    );
    await expect(run({ input: JSON.parse(`{"service":"web","x":${deep}}`) })).rejects.toThrow(SimulationInputError);
  });

  it('refuses to abort at a state the state machine does not have, before anything runs', async () => {
    await expect(run({ abortAt: 'Wait during bake' })).rejects.toThrow(
      new SimulationInputError('abort at "Wait during bake": the state machine has no such state'),
    );
  });
});
