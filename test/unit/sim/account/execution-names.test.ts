/**
 * StartExecution's name rules, as Step Functions applies them: 1 to 80
 * characters, none of the forbidden ones, and unique per state machine for
 * 90 days, across saved and reloaded account states.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { issueLines } from '../../../../lambdas/shared/zod-format.ts';
import {
  assertExecutionName,
  EXECUTION_NAME_RETENTION_MS,
  recordExecutionStart,
  recordExecutionStop,
} from '../../../../sim/account/execution-names.ts';
import { AccountModel } from '../../../../sim/account/model.ts';
import { AccountSchema } from '../../../../sim/account/schema.ts';
import { ROOT } from '../../../support/config.ts';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:baton-pipeline';
const OTHER_STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:other';
const T0 = Date.parse('2026-11-23T09:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function rawAccount(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, 'sim', 'accounts', 'example.json'), 'utf8')) as Record<string, unknown>;
}

function freshModel(): AccountModel {
  return new AccountModel(AccountSchema.parse(rawAccount()), T0);
}

/** What assertExecutionName threw: its name and message; undefined when it accepted the name. */
function refusal(
  model: AccountModel,
  name: string,
  now = T0,
  stateMachineArn = STATE_MACHINE,
): { name: string; message: string } | undefined {
  try {
    assertExecutionName(model, stateMachineArn, name, now);
  } catch (error) {
    if (error instanceof Error) return { name: error.name, message: error.message };
    throw error;
  }
  return undefined;
}

describe('assertExecutionName: the characters and the length', () => {
  it.each(['deploy-1', 'web-v1_4_2-20261123T090000Z', 'release.2026-11-22.1', 'déploiement', 'a'.repeat(80)])('accepts %j', (name) => {
    expect(refusal(freshModel(), name)).toBeUndefined();
  });

  it('refuses a name of 81 characters with ValidationException, as the request validation does', () => {
    const name = 'a'.repeat(81);

    expect(refusal(freshModel(), name)).toEqual({
      name: 'ValidationException',
      message: `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80`,
    });
  });

  it('refuses an empty name with ValidationException', () => {
    expect(refusal(freshModel(), '')).toEqual({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1",
    });
  });

  it.each([
    ['a space', 'deploy web'],
    ['a tab', 'deploy\tweb'],
    ['a no-break space', 'deploy\u00a0web'],
    ['<', 'deploy<web'],
    ['>', 'deploy>web'],
    ['{', 'deploy{web'],
    ['}', 'deploy}web'],
    ['[', 'deploy[web'],
    [']', 'deploy]web'],
    ['?', 'deploy?web'],
    ['*', 'deploy*web'],
    ['"', 'deploy"web'],
    ['#', 'deploy#web'],
    ['%', 'deploy%web'],
    ['\\', 'deploy\\web'],
    ['^', 'deploy^web'],
    ['|', 'deploy|web'],
    ['~', 'deploy~web'],
    ['`', 'deploy`web'],
    ['$', 'deploy$web'],
    ['&', 'deploy&web'],
    [',', 'deploy,web'],
    [';', 'deploy;web'],
    [':', 'deploy:web'],
    ['/', 'deploy/web'],
    ['U+0000', 'deploy\u0000web'],
    ['U+007F', 'deploy\u007fweb'],
    ['U+009F', 'deploy\u009fweb'],
    ['a lone surrogate', 'deploy\ud800web'],
  ])('refuses a name with %s as InvalidName', (_what, name) => {
    expect(refusal(freshModel(), name)).toEqual({ name: 'InvalidName', message: `Invalid Name: '${name}'` });
  });
});

describe('assertExecutionName: a name is unique per state machine for 90 days', () => {
  const TAKEN = {
    name: 'ExecutionAlreadyExists',
    message: "Execution Already Exists: 'arn:aws:states:eu-west-1:123456789012:execution:baton-pipeline:deploy-1'",
  };

  it('refuses a name a running execution has', () => {
    const model = freshModel();
    recordExecutionStart(model, STATE_MACHINE, 'deploy-1', T0);

    expect(refusal(model, 'deploy-1', T0 + HOUR)).toEqual(TAKEN);
  });

  it('refuses the name until 90 days after the execution closed, then takes it', () => {
    // Arrange: started at T0, closed an hour later
    const model = freshModel();
    recordExecutionStart(model, STATE_MACHINE, 'deploy-1', T0);
    recordExecutionStop(model, STATE_MACHINE, 'deploy-1', T0 + HOUR);
    const released = T0 + HOUR + EXECUTION_NAME_RETENTION_MS;

    // Act / Assert
    expect(refusal(model, 'deploy-1', T0 + 89 * DAY)).toEqual(TAKEN);
    expect(refusal(model, 'deploy-1', released - 1)).toEqual(TAKEN);
    expect(refusal(model, 'deploy-1', released)).toBeUndefined();
  });

  it('lets another state machine use the same name', () => {
    const model = freshModel();
    recordExecutionStart(model, STATE_MACHINE, 'deploy-1', T0);

    expect(refusal(model, 'deploy-1', T0, OTHER_STATE_MACHINE)).toBeUndefined();
  });

  it('keeps the names across a saved and reloaded account state (--state-out, then --account)', () => {
    // Arrange: one run records its execution and saves the account
    const first = freshModel();
    recordExecutionStart(first, STATE_MACHINE, 'deploy-1', T0);
    recordExecutionStop(first, STATE_MACHINE, 'deploy-1', T0 + 11 * 60_000);
    const saved = JSON.parse(JSON.stringify(first.toSpec())) as unknown;

    // Act: the next run loads it
    const second = new AccountModel(AccountSchema.parse(saved), T0 + DAY);

    // Assert
    expect(second.executions).toEqual([
      { stateMachineArn: STATE_MACHINE, name: 'deploy-1', startDate: '2026-11-23T09:00:00.000Z', stopDate: '2026-11-23T09:11:00.000Z' },
    ]);
    expect(refusal(second, 'deploy-1', T0 + DAY)).toEqual(TAKEN);
  });

  it('loads an account file without executions (older files) and saves none', () => {
    const model = freshModel();

    expect(model.executions).toEqual([]);
    expect(model.toSpec()).not.toHaveProperty('stepFunctions');
  });

  it('the account schema refuses a recorded execution whose name Step Functions would refuse', () => {
    const raw = {
      ...rawAccount(),
      stepFunctions: { executions: [{ stateMachineArn: STATE_MACHINE, name: 'deploy 1', startDate: '2026-11-23T09:00:00.000Z' }] },
    };

    const parsed = AccountSchema.safeParse(raw);

    expect(parsed.error ? issueLines(parsed.error) : []).toEqual([
      `stepFunctions.executions[0].name: an execution name has no white space, brackets, wildcards, control characters or any of " # % \\ ^ | ~ \` $ & , ; : /; 'deploy 1' has " "`,
    ]);
  });
});
