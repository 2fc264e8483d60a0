/**
 * Execution names outlive nothing they name: Step Functions frees a name 90
 * days after its execution closed (the simulated account does too), while
 * the record keyed by it lives 400 days. A second execution under the name
 * of a kept record is refused, and the record, the lock and the service stay
 * as the first execution left them.
 */
import { describe, expect, it } from 'vitest';
import { AccountSchema } from '../../sim/account/schema.ts';
import { DEFAULT_START } from '../../sim/clock.ts';
import { simulate } from '../../sim/harness.ts';
import { checkInvariants } from '../../sim/invariants.ts';
import { exampleConfig } from '../support/config.ts';
import { NEW_TAG, record, run, weights } from '../support/simulation.ts';

const DAY_MS = 86_400_000;
const WRITES = new Set(['UpdateService', 'RegisterTaskDefinition', 'ModifyListener', 'ModifyRule', 'PutItem', 'DeleteItem', 'UpdateItem']);

describe('an execution started under the name of an earlier deployment, 100 days later', () => {
  it('is refused with ExecutionNameReusedError naming the name; the first record, the lock and the service are untouched', async () => {
    // Arrange: deploy-1 succeeds; 100 days on, Step Functions would accept the name again.
    const first = await run();
    const account = AccountSchema.parse(first.model.toSpec());
    const config = exampleConfig();

    // Act
    const second = await simulate({
      config,
      account,
      input: { service: 'web', imageTag: NEW_TAG },
      faults: [],
      executionName: 'deploy-1',
      startTime: DEFAULT_START + 100 * DAY_MS,
    });

    // Assert
    expect(checkInvariants(config, account, second)).toEqual([]);
    expect(second.main.name).toBe('deploy-1');
    expect(second.main.error).toBe('ExecutionNameReusedError');
    expect(second.main.cause).toBe(
      `execution name deploy-1 is the id of the deployment record of execution ${String(record(first)?.executionArn)} (started ${String(
        record(first)?.startedAt,
      )}, SUCCEEDED); Step Functions reuses a name 90 days after its execution closed, records live 400 days: start it again under another name. Nothing was changed.`,
    );
    expect(record(second)).toEqual(record(first));
    expect(second.model.table.get('LOCK#web|LOCK')).toBeUndefined();
    expect(weights(second)).toEqual(weights(first));
    expect(second.apis.calls.filter((call) => WRITES.has(call.operation) && !call.error).map((call) => call.operation)).toEqual([]);
  });

  it('is never what the simulation names a run: the next deploy-<n> neither an execution nor a record has used', async () => {
    // Arrange: deploy-1's execution is forgotten (over 90 days), its record is kept.
    const first = await run();
    const spec = first.model.toSpec();
    const { stepFunctions: _forgotten, ...account } = spec;

    // Act
    const second = await run({ account: AccountSchema.parse(account) });

    // Assert
    expect(second.main.name).toBe('deploy-2');
    expect(record(second, 'deploy-1')).toEqual(record(first));
  });
});
