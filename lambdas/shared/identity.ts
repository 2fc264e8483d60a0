/**
 * Who asked and who approved: identities as the CLI records them (the caller
 * ARN STS GetCallerIdentity answers), shown short, and compared so that the
 * requester of a deployment cannot approve it under another spelling.
 */

/**
 * The caller ARNs STS answers: arn:<partition>:sts::<account>:assumed-role/<role>/<session>,
 * arn:<partition>:sts::<account>:federated-user/<name>, arn:<partition>:iam::<account>:user/<path/><name>,
 * arn:<partition>:iam::<account>:root.
 */
const CALLER_ARN = /^arn:[a-z-]+:(sts|iam)::(\d{12}):(.+)$/;

/**
 * How an identity is shown: an assumed role as `<role>/<session>` (SSO and CI
 * sessions carry the person or the job in the session name), an IAM or
 * federated user as its name, the root user as `root (<account>)`. Anything
 * that is not a caller ARN (a console or ECR trigger's requestedBy, an older
 * record's OS user name) is shown as it is.
 */
export function displayIdentity(identity: string): string {
  const match = CALLER_ARN.exec(identity.trim());
  if (!match) return identity.trim();
  const [, , account, resource = ''] = match;
  const [kind = '', ...rest] = resource.split('/');
  if (kind === 'assumed-role' && rest.length >= 2) return `${rest[0]}/${rest.slice(1).join('/')}`;
  if ((kind === 'user' || kind === 'federated-user') && rest.length > 0) return rest[rest.length - 1] ?? resource;
  if (resource === 'root') return `root (${account})`;
  return resource;
}

/**
 * Whether two identities are the same principal: compared as shown and
 * without regard to case, so that an approver naming the requester by
 * `Deployer/alice` (or `DEPLOYER/Alice`) instead of the ARN is still the
 * requester. Two accounts' sessions of the same role and session name count
 * as one: the check may refuse too much, never too little.
 */
export function sameIdentity(a: string, b: string): boolean {
  return displayIdentity(a).toLowerCase() === displayIdentity(b).toLowerCase();
}
