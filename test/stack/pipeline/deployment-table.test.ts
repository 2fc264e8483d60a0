/**
 * The deployment table of the synthesized stack for the example config: its
 * keys, index, recovery and expiry, the name the CLI derives, and how it and
 * the log groups outlive the stack. One synthesis (without bundling).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { REGION, synthExample } from '../../support/example.ts';
import { logicalIdOf, type Synthesis } from '../../support/synth.ts';
import { resourceOf } from '../../support/template.ts';

describe('the Baton stack for the example config', () => {
  let synthesis: Synthesis;

  beforeAll(() => {
    ({ synthesis } = synthExample());
  });

  describe('deployment table', () => {
    it('is a single TableV2 keyed by pk and sk', () => {
      synthesis.template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
      synthesis.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      });
    });

    it('has point-in-time recovery enabled', () => {
      synthesis.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        Replicas: [{ Region: REGION, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }],
      });
    });

    it('expires items through the expiresAt attribute', () => {
      synthesis.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
    });

    it('has the byService index', () => {
      synthesis.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byService',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      });
    });

    it('keeps its fixed name, is retained by a stack update or delete, and is deleted when the create that made it rolls back', () => {
      const tables = Object.values(synthesis.template.findResources('AWS::DynamoDB::GlobalTable')) as Array<{
        DeletionPolicy?: string;
        UpdateReplacePolicy?: string;
        Properties: { TableName: string };
      }>;

      expect(tables.map((t) => [t.Properties.TableName, t.DeletionPolicy, t.UpdateReplacePolicy])).toEqual([
        ['baton-production-deployments', 'RetainExceptOnCreate', 'Retain'],
      ]);
    });

    it('has no deletion protection, which would make the rollback of a failed first create fail on the table', () => {
      expect(JSON.stringify(synthesis.template.findResources('AWS::DynamoDB::GlobalTable'))).not.toContain('DeletionProtectionEnabled');
    });

    it('retains the execution log group the same way, and every other log group as before but the ignored-push log', () => {
      const logGroups = synthesis.template.findResources('AWS::Logs::LogGroup') as Record<
        string,
        { DeletionPolicy?: string; UpdateReplacePolicy?: string }
      >;
      const execution = logicalIdOf(synthesis.stack, synthesis.stack.pipeline.logGroup);
      const events = logicalIdOf(synthesis.stack, synthesis.stack.events.logGroup);
      const ignored = logicalIdOf(synthesis.stack, synthesis.stack.ignoredPushes.logGroup);
      const kind = (id: string) => (id === execution ? 'execution' : id === events ? 'events' : id === ignored ? 'ignored' : 'phase');
      const policies = Object.fromEntries(
        Object.entries(logGroups).map(([id, group]) => [kind(id), `${group.DeletionPolicy}/${group.UpdateReplacePolicy}`]),
      );

      // The ignored-push log is a diagnostic trail (lib/constructs/ignored-pushes.ts): it goes with the stack.
      expect(Object.keys(logGroups)).toHaveLength(24);
      expect(policies).toEqual({
        execution: 'RetainExceptOnCreate/Retain',
        events: 'RetainExceptOnCreate/Retain',
        ignored: 'Delete/Delete',
        phase: 'Retain/Retain',
      });
    });

    it('is named baton-production-deployments, the name the CLI derives from the config', () => {
      // Arrange
      const tableId = logicalIdOf(synthesis.stack, synthesis.stack.deployments.table);

      // Act
      const table = resourceOf<{ Type: string; Properties: { TableName: string } }>(synthesis, tableId);

      // Assert
      expect(table.Type).toBe('AWS::DynamoDB::GlobalTable');
      expect(table.Properties.TableName).toBe('baton-production-deployments');
    });
  });
});
