/**
 * The deployment table: per-service locks and one record per deployment
 * (key layout in lambdas/shared/deployments.ts). Point-in-time recovery is on
 * and the table is retained when the stack is deleted: it is the audit trail.
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
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
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
