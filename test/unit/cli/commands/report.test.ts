/** `baton report`: reads the record and its execution's history, writes the page, prints where. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionDoesNotExist, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { baton, DEPLOYMENT_ID, EXECUTION_ARN, givenRecord, resetMocks, sfnMock, WAITING_RECORD } from '../../../support/cli-clients.ts';
import { entered, exited } from '../../../support/history-events.ts';

const dir = mkdtempSync(join(tmpdir(), 'baton-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(resetMocks);

describe('baton report', () => {
  it("writes the page of the deployment from its record and its execution's history, and prints the path", async () => {
    // Arrange
    const file = join(dir, 'waiting.html');
    givenRecord(WAITING_RECORD);
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [entered('Verify new colour', 0), exited('Verify new colour', {}, 5)] });

    // Act
    const result = await baton('report', DEPLOYMENT_ID, '--out', file);

    // Assert
    expect(result).toMatchObject({ code: 0, out: `wrote ${file}\n`, err: '' });
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand).map((call) => call.args[0].input.executionArn)).toEqual([EXECUTION_ARN]);
    const page = readFileSync(file, 'utf8');
    expect(page).toContain(`<h1>web ${DEPLOYMENT_ID} <span class="badge IN_PROGRESS">IN_PROGRESS</span></h1>`);
    expect(page).toContain('<text class="label" x="222" y="251" text-anchor="end">Verify new colour</text>');
    // The record's view: the approval task token of a waiting deployment never reaches the page.
    expect(page).not.toContain(WAITING_RECORD.approvalToken);
  });

  it('writes the page without the history once Step Functions no longer has the execution, and says so', async () => {
    // Arrange
    const file = join(dir, 'old.html');
    givenRecord({ ...WAITING_RECORD, status: 'SUCCEEDED', awaitingApproval: false });
    sfnMock.on(GetExecutionHistoryCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

    // Act
    const result = await baton('report', DEPLOYMENT_ID, '--out', file, '--json');

    // Assert
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual({ file, deploymentId: DEPLOYMENT_ID, status: 'SUCCEEDED' });
    expect(readFileSync(file, 'utf8')).toContain(
      `The execution history is not in this report: Step Functions no longer has the execution ${EXECUTION_ARN} (it keeps one 90 days after it ends).`,
    );
  });

  it('exits 3 for a deployment that is not recorded', async () => {
    // Arrange
    givenRecord(undefined);

    // Act
    const result = await baton('report', DEPLOYMENT_ID);

    // Assert
    expect(result.code).toBe(3);
    expect(result.err).toBe(
      `baton: no deployment "${DEPLOYMENT_ID}" is recorded; a service's deployments are listed by "baton history <service>"\n`,
    );
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 2 without a deployment, naming the argument', async () => {
    // Act
    const result = await baton('report');

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toContain('baton: report: missing argument <deployment>\nUsage: baton report <deployment> [--out <file>]\n');
  });
});
