/** STS: GetCallerIdentity, for the operator's CLI: who runs baton (AccountModel.callerArn, which a test may change between commands). */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AccountModel } from '../model.ts';
import { META, type ServiceSetup } from './common.ts';

function callerIdentity(m: AccountModel) {
  // The unique id of a role session is the role's id, a colon, and the session name.
  const session = m.callerArn.split('/').at(-1) ?? '';
  return { ...META, Arn: m.callerArn, Account: m.account, UserId: `AROASIMULATEDROLE:${session}` };
}

export function installSts({ model: m, stubs, route }: ServiceSetup): void {
  const sts = stubs.stub(STSClient);
  sts.on(GetCallerIdentityCommand).callsFake(route('sts', 'GetCallerIdentity', () => callerIdentity(m)));
}
