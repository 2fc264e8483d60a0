/**
 * The backstop's periodic sweep (lambdas/backstop/sweep.ts): the open records and queued images no event reported.
 */
import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../../lambdas/backstop/index.ts';
import { ContractViolationError } from '../../../../lambdas/shared/errors.ts';
import { failure } from '../../../support/aws.ts';
import {
  dynamoMock,
  executionArn,
  givenQueued,
  givenRecord,
  givenStartSucceeds,
  LOCK_KEY,
  QUEUE_KEY,
  QUEUED_BY,
  RECORD_KEY,
  STATE_MACHINE_ARN,
  setUpBackstop,
  sfnMock,
  starts,
  statusChange,
  TABLE,
} from '../../../support/backstop.ts';
import { rawExampleConfig } from '../../../support/config.ts';
import { ACCOUNT, DEPLOYMENT_ID, NEW_TAG, NOW, REGION, STARTED_AT } from '../../../support/state.ts';
import { spyOnLogger } from '../../../support/telemetry.ts';

describe('backstop', () => {
  setUpBackstop();

  describe('the periodic sweep (a "Scheduled Event"; lambdas/backstop/sweep.ts)', () => {
    const RULE_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:rule/baton-production-BackstopSweep`;
    const SCHEDULED = {
      version: '0',
      id: 'a1b2c3d4-0000-4000-8000-00000000005c',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      time: '2025-03-04T10:10:00Z',
      region: REGION,
      resources: [RULE_ARN],
      detail: {},
    };
    const DEPLOYMENT_INPUT = JSON.stringify({ service: 'web', imageTag: NEW_TAG, trigger: 'cli' });

    function givenLock(holder: string | undefined) {
      dynamoMock.on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true }).resolves(
        holder
          ? {
              Item: {
                ...LOCK_KEY,
                service: 'web',
                deploymentId: holder,
                executionArn: executionArn(holder),
                imageRef: `tag:${NEW_TAG}`,
                acquiredAt: STARTED_AT,
                leaseExpiresAt: Math.floor(Date.parse(NOW) / 1000) + 600,
              },
            }
          : {},
      );
    }

    /** DescribeExecution of the lock holder, as Step Functions answers it. */
    function givenExecution(status: string, fields: { error?: string; cause?: string } = {}) {
      sfnMock.on(DescribeExecutionCommand, { executionArn: executionArn(DEPLOYMENT_ID) }).resolves({
        executionArn: executionArn(DEPLOYMENT_ID),
        stateMachineArn: STATE_MACHINE_ARN,
        name: DEPLOYMENT_ID,
        status: status as 'RUNNING',
        input: DEPLOYMENT_INPUT,
        startDate: new Date(STARTED_AT),
        ...(status === 'RUNNING' ? {} : { stopDate: new Date(NOW) }),
        ...fields,
      });
    }

    beforeEach(() => {
      vi.stubEnv('BATON_CONFIG', JSON.stringify(rawExampleConfig()));
    });

    it('finds nothing open when the lock is free and nothing is queued: it reads the lock and the queue, nothing else', async () => {
      // Arrange
      givenLock(undefined);

      // Act
      const result = await handler(SCHEDULED);

      // Assert
      expect(result).toEqual([{ service: 'web', action: 'free' }]);
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(dynamoMock.commandCalls(GetCommand).map((call) => call.args[0].input.Key)).toEqual([LOCK_KEY, QUEUE_KEY]);
      expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
    });

    it('leaves an open record alone while the execution holding the lock still runs: no record read, nothing started', async () => {
      // Arrange
      givenLock(DEPLOYMENT_ID);
      givenExecution('RUNNING');
      givenRecord('IN_PROGRESS');

      // Act
      const result = await handler(SCHEDULED);

      // Assert
      expect(result).toEqual([{ service: 'web', action: 'held', holder: DEPLOYMENT_ID, status: 'RUNNING' }]);
      expect(starts()).toEqual([]);
      expect(dynamoMock.commandCalls(GetCommand).map((call) => call.args[0].input.Key)).toEqual([LOCK_KEY]);
      expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
    });

    it('starts the recovery of an open record whose lock holder ended ABORTED, with the name and input the event would give', async () => {
      // Arrange
      givenLock(DEPLOYMENT_ID);
      givenExecution('ABORTED');
      givenRecord('IN_PROGRESS');
      givenStartSucceeds();

      // Act
      const result = await handler(SCHEDULED);

      // Assert
      expect(result).toEqual([
        {
          service: 'web',
          action: 'ended',
          holder: DEPLOYMENT_ID,
          status: 'ABORTED',
          result: { action: 'recovery-started', execution: `${DEPLOYMENT_ID}-recovery-1` },
        },
      ]);
      expect(starts()).toEqual([
        {
          stateMachineArn: STATE_MACHINE_ARN,
          name: `${DEPLOYMENT_ID}-recovery-1`,
          input: JSON.stringify({ recover: DEPLOYMENT_ID, error: 'ExecutionAborted', cause: `execution ${DEPLOYMENT_ID} ended ABORTED` }),
        },
      ]);
      expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
    });

    it('starts one recovery for a record the status-change event and the sweep both find: the same name and input, the second finds it (ExecutionAlreadyExists)', async () => {
      // Arrange
      givenLock(DEPLOYMENT_ID);
      givenExecution('FAILED', { error: 'States.Runtime', cause: "An error occurred while executing the state 'Check bake'" });
      givenRecord('IN_PROGRESS');
      const started = new Set<string>();
      sfnMock.on(StartExecutionCommand).callsFake((input: { name: string }) => {
        if (started.has(input.name))
          throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${input.name}'`, $metadata: {} });
        started.add(input.name);
        return { executionArn: executionArn(input.name), startDate: new Date(NOW) };
      });

      // Act
      const byEvent = await handler(
        statusChange(DEPLOYMENT_ID, 'FAILED', {
          error: 'States.Runtime',
          cause: "An error occurred while executing the state 'Check bake'",
        }),
      );
      const bySweep = await handler(SCHEDULED);

      // Assert
      expect(byEvent).toEqual({ action: 'recovery-started', execution: `${DEPLOYMENT_ID}-recovery-1` });
      expect(bySweep).toEqual([{ service: 'web', action: 'ended', holder: DEPLOYMENT_ID, status: 'FAILED', result: byEvent }]);
      const [first, second, ...more] = starts();
      expect(more).toEqual([]);
      expect(second).toEqual(first);
      expect(JSON.parse(first?.input ?? 'null')).toEqual({
        recover: DEPLOYMENT_ID,
        error: 'ExecutionFailed',
        cause: `execution ${DEPLOYMENT_ID} ended FAILED (States.Runtime: An error occurred while executing the state 'Check bake')`,
      });
      expect(started).toEqual(new Set([`${DEPLOYMENT_ID}-recovery-1`]));
    });

    it('does nothing for a lock whose holder ended with its record closed (ROLLBACK_FAILED keeps the lock for an operator)', async () => {
      // Arrange
      givenLock(DEPLOYMENT_ID);
      givenExecution('FAILED');
      givenRecord('ROLLBACK_FAILED');

      // Act
      const result = await handler(SCHEDULED);

      // Assert
      expect(result).toEqual([
        {
          service: 'web',
          action: 'ended',
          holder: DEPLOYMENT_ID,
          status: 'FAILED',
          result: {
            action: 'none',
            reason: `deployment ${DEPLOYMENT_ID} already ended ROLLBACK_FAILED`,
          },
        },
      ]);
      expect(starts()).toEqual([]);
    });

    it("starts the image queued behind a deployment that ended while the lock is free, on the stack's state machine in the rule's partition", async () => {
      // Arrange
      givenLock(undefined);
      givenRecord('ROLLED_BACK');
      givenQueued();
      dynamoMock.on(DeleteCommand, { TableName: TABLE, Key: QUEUE_KEY }).resolves({});
      givenStartSucceeds();

      // Act
      const result = await handler({ ...SCHEDULED, resources: [RULE_ARN.replace('arn:aws:', 'arn:aws-cn:')] });

      // Assert
      expect(result).toEqual([
        { service: 'web', action: 'free', queue: { action: 'started', execution: `${QUEUED_BY}-dequeued`, queuedFrom: QUEUED_BY } },
      ]);
      expect(starts().map((start) => [start.stateMachineArn, start.name])).toEqual([
        [STATE_MACHINE_ARN.replace('arn:aws:', 'arn:aws-cn:'), `${QUEUED_BY}-dequeued`],
      ]);
      expect(dynamoMock.commandCalls(GetCommand).map((call) => call.args[0].input.Key)).toEqual([
        LOCK_KEY,
        QUEUE_KEY,
        LOCK_KEY,
        RECORD_KEY,
      ]);
    });

    it('leaves a lock whose execution Step Functions no longer knows to the next deployment (it reclaims it), and starts nothing', async () => {
      // Arrange
      givenLock(DEPLOYMENT_ID);
      sfnMock
        .on(DescribeExecutionCommand, { executionArn: executionArn(DEPLOYMENT_ID) })
        .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

      // Act
      const result = await handler(SCHEDULED);

      // Assert
      expect(result).toEqual([{ service: 'web', action: 'held', holder: DEPLOYMENT_ID, status: 'DOES_NOT_EXIST' }]);
      expect(starts()).toEqual([]);
    });

    it('reports a malformed lock item as the failure of that service, naming the field, and starts nothing', async () => {
      // Arrange
      dynamoMock
        .on(GetCommand, { TableName: TABLE, Key: LOCK_KEY, ConsistentRead: true })
        .resolves({ Item: { ...LOCK_KEY, service: 'web', deploymentId: DEPLOYMENT_ID } });
      const log = spyOnLogger();

      // Act
      const result = await handler(SCHEDULED);

      // Assert
      expect(result).toEqual([
        {
          service: 'web',
          action: 'failed',
          error: expect.stringMatching(/^ContractViolationError: lock of web is malformed: executionArn: /),
        },
      ]);
      expect(log.text()).toContain('"sweep of a service failed"');
      expect(sfnMock).not.toHaveReceivedAnyCommand();
    });

    it.each([
      ['a scheduled event of another source', { ...SCHEDULED, source: 'aws.scheduler' }],
      ['a scheduled event without its rule', { ...SCHEDULED, resources: [] }],
    ])('refuses %s with ContractViolationError, calling nothing', async (_what, event) => {
      // Act
      const error = await failure(handler(event));

      // Assert
      expect(error).toBeInstanceOf(ContractViolationError);
      expect(sfnMock).not.toHaveReceivedAnyCommand();
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    });
  });
});
