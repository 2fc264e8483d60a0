import { describe, expect, it } from 'vitest';
import { AccountModel } from '../../../../sim/account/model.ts';
import { snapshotAccount, writeOf } from '../../../../sim/account/writes.ts';
import { listenerOf } from '../../../../sim/production.ts';
import { webService } from '../../../support/config.ts';
import { exampleAccount } from '../../../support/simulation.ts';

const T0 = Date.parse('2026-11-23T09:00:00.000Z');
const web = listenerOf(webService()) ?? { listener: '', blue: '', green: '' };

describe('account writes', () => {
  it('snapshots what the checker reads: weights, target health, tasks by task definition, alarms, locks', () => {
    // Arrange
    const model = new AccountModel(exampleAccount(), T0);
    model.table.set('LOCK#web|LOCK', { pk: 'LOCK#web', sk: 'LOCK', deploymentId: 'deploy-1' });

    // Act
    const snapshot = snapshotAccount(model);

    // Assert
    expect(snapshot.at).toBe(T0);
    expect(snapshot.listeners[web.listener]).toEqual({ [web.blue]: 100, [web.green]: 0 });
    expect(snapshot.targets[web.blue]).toEqual({ healthy: 3, unhealthy: 0 });
    expect(snapshot.services['prod/web-blue']).toEqual({
      taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7',
      desiredCount: 3,
      running: 3,
      stale: 0,
    });
    expect(snapshot.alarms['web-5xx-rate']).toBe('OK');
    expect(snapshot.locks).toEqual({ web: 'deploy-1' });
  });

  it('reports record writes with the item as written, and ignores other items', () => {
    // Arrange
    const model = new AccountModel(exampleAccount(), T0);
    model.table.set('DEPLOYMENT#deploy-1|RECORD', { pk: 'DEPLOYMENT#deploy-1', sk: 'RECORD', status: 'SUCCEEDED' });
    model.table.set('LOCK#web|LOCK', { pk: 'LOCK#web', sk: 'LOCK', deploymentId: 'deploy-1' });

    // Act
    const record = writeOf(model, 'UpdateItem', { Key: { pk: 'DEPLOYMENT#deploy-1', sk: 'RECORD' } }, 'Complete deployment');
    const lock = writeOf(model, 'PutItem', { Item: { pk: 'LOCK#web', sk: 'LOCK' } }, 'Initialize');

    // Assert
    expect(record).toMatchObject({
      kind: 'record',
      key: 'DEPLOYMENT#deploy-1|RECORD',
      item: { pk: 'DEPLOYMENT#deploy-1', sk: 'RECORD', status: 'SUCCEEDED' },
      state: 'Complete deployment',
    });
    expect(lock).toBeUndefined();
  });

  it('reports an UpdateService by cluster/name, with the desired count it asked for', () => {
    // Arrange
    const model = new AccountModel(exampleAccount(), T0);

    // Act
    const write = writeOf(
      model,
      'UpdateService',
      { cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod', service: 'web-blue', desiredCount: 0 },
      undefined,
    );

    // Assert
    expect(write).toMatchObject({ kind: 'service', service: 'prod/web-blue', desiredCount: 0 });
    expect(write && 'state' in write).toBe(false);
  });
});
