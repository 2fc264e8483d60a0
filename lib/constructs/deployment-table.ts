/**
 * The deployment table: per-service locks and one record per deployment
 * (key layout in lambdas/shared/deployments.ts). Point-in-time recovery is on
 * and the table is retained when the stack is updated or deleted: it is the
 * audit trail. Only the rollback of the create that made it deletes it (empty
 * then), so a failed first `cdk deploy` can simply be run again; a stack
 * deleted and installed again adopts the retained table with
 * `cdk deploy --import-existing-resources` (docs/operations.md, "Failed deploys, uninstalling and installing again").
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { SERVICE_INDEX } from '../../lambdas/shared/deployments.ts';

export class DeploymentTable extends Construct {
  public readonly table: TableV2;

  constructor(scope: Construct, id: string, props: { readonly tableName: string }) {
    super(scope, id);
    this.table = new TableV2(this, 'Table', {
      // A fixed name: the baton CLI finds the table from the config alone.
      tableName: props.tableName,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      // No deletion protection: it would make the rollback of a failed first create fail on this table
      // (DeleteTable refused), leaving it behind. The DeletionPolicy keeps it through updates and deletes.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      globalSecondaryIndexes: [
        {
          indexName: SERVICE_INDEX,
          partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
        },
      ],
    });
  }
}
