/**
 * The approval where it takes effect: refused when it names no approver or
 * the requester (unless the service allows self-approval), recorded once
 * before the first traffic step.
 */
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { acceptApproval, checkedApproval } from '../../../../lambdas/shared/approval.ts';
import { ApprovalRefusedError } from '../../../../lambdas/shared/errors.ts';
import type { VerifiedState } from '../../../../lambdas/shared/stages.ts';
import { rejectByDefault, updatedFields } from '../../../support/aws.ts';
import { DEPLOYMENT_ID, stateAfter } from '../../../support/state.ts';

const ALICE = 'arn:aws:sts::123456789012:assumed-role/Deployer/alice';
const BOB = 'arn:aws:sts::123456789012:assumed-role/Deployer/bob';
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };

/** The verified state of a deployment alice requested, with the approval the state machine received. */
function approved(approvalResult: Record<string, unknown> | undefined, allowSelfApproval = false): VerifiedState {
  const state = stateAfter('verify');
  return {
    ...state,
    request: { ...state.request, requestedBy: ALICE },
    service: { ...state.service, allowSelfApproval },
    ...(approvalResult ? { approvalResult } : {}),
  } as VerifiedState;
}

describe('checkedApproval', () => {
  it('accepts another operator, and a deployment that needed no approval', () => {
    expect(checkedApproval(approved({ approvedBy: BOB, approvedAt: '2025-03-04T10:00:00.000Z' }))).toEqual({
      approvedBy: BOB,
      approvedAt: '2025-03-04T10:00:00.000Z',
    });
    expect(checkedApproval(approved(undefined))).toBeUndefined();
  });

  it('refuses the requester, named as shown or in another case, saying who and what to do', () => {
    const refusal = new ApprovalRefusedError(
      `approved by Deployer/alice, who requested ${DEPLOYMENT_ID}: the approver must be someone else (allowSelfApproval is off for web); ` +
        'deploy again and ask another operator to run "baton approve web"',
    );
    expect(() => checkedApproval(approved({ approvedBy: ALICE }))).toThrow(refusal);
    expect(() => checkedApproval(approved({ approvedBy: 'deployer/ALICE' }))).toThrow(ApprovalRefusedError);
  });

  it('refuses an approval that names no approver', () => {
    expect(() => checkedApproval(approved({ approvedAt: '2025-03-04T10:00:00.000Z' }))).toThrow(
      new ApprovalRefusedError(
        `the approval of ${DEPLOYMENT_ID} names no approver (approvedBy); deploy again and approve with "baton approve web"`,
      ),
    );
    expect(() => checkedApproval(approved({ approvedBy: '  ' }))).toThrow(ApprovalRefusedError);
  });

  it('refuses an approval whose approver is not one line of printable text, saying which field', () => {
    expect(() => checkedApproval(approved({ approvedBy: 'bob\u001b[2J' }))).toThrow(
      /^the approval of \S+ is malformed \(approvedBy: control character U\+001B at character 4; .*\); deploy again and approve with "baton approve web"$/,
    );
  });

  it('lets the requester approve when the service allows self-approval', () => {
    expect(checkedApproval(approved({ approvedBy: ALICE }, true))).toEqual({ approvedBy: ALICE });
  });
});

describe('acceptApproval', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  beforeEach(() => {
    rejectByDefault(dynamoMock);
    dynamoMock.on(UpdateCommand, { Key: RECORD_KEY }).resolves({});
  });

  it('records who approved, when and why before the first step, and that nothing waits any more', async () => {
    // Act
    await acceptApproval(approved({ approvedBy: BOB, approvedAt: '2025-03-04T10:00:00.000Z', reason: 'smoke tests green' }));

    // Assert
    expect(dynamoMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
    const input = dynamoMock.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.Key).toEqual(RECORD_KEY);
    expect(updatedFields(input)).toEqual({
      awaitingApproval: false,
      approvedBy: BOB,
      approvedAt: '2025-03-04T10:00:00.000Z',
      approvalReason: 'smoke tests green',
    });
  });

  it('writes nothing at later steps, nor for a deployment that needed no approval', async () => {
    // Arrange
    const later = approved({ approvedBy: BOB });

    // Act
    await acceptApproval({ ...later, traffic: { ...later.traffic, nextStep: 1, weight: 10 } });
    await acceptApproval(approved(undefined));

    // Assert
    expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('writes nothing when it refuses', async () => {
    await expect(acceptApproval(approved({ approvedBy: ALICE }))).rejects.toThrow(ApprovalRefusedError);
    expect(dynamoMock).not.toHaveReceivedCommand(UpdateCommand);
  });
});
