/** How identities are shown (role and session for an assumed role) and compared (as shown, any case). */
import { describe, expect, it } from 'vitest';
import { displayIdentity, sameIdentity } from '../../../../lambdas/shared/identity.ts';

describe('displayIdentity', () => {
  it.each([
    ['an assumed role: the role and the session', 'arn:aws:sts::123456789012:assumed-role/Deployer/alice', 'Deployer/alice'],
    [
      'an SSO session: the permission set role and the user',
      'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com',
      'AWSReservedSSO_Admin_0123456789abcdef/alice@example.com',
    ],
    ['another partition', 'arn:aws-us-gov:sts::123456789012:assumed-role/Deployer/ci-1234', 'Deployer/ci-1234'],
    ['an IAM user: its name, without its path', 'arn:aws:iam::123456789012:user/ops/bob', 'bob'],
    ['a federated user: its name', 'arn:aws:sts::123456789012:federated-user/carol', 'carol'],
    ['the root user: with its account', 'arn:aws:iam::123456789012:root', 'root (123456789012)'],
    ['a name that is no ARN (a console requester, an older record): as it is', 'release-bot', 'release-bot'],
    ['surrounding spaces: trimmed', '  alice ', 'alice'],
  ])('shows %s', (_case, identity, shown) => {
    expect(displayIdentity(identity)).toBe(shown);
  });
});

describe('sameIdentity', () => {
  it('is the same session in ARN and in shown form, in any case', () => {
    expect(sameIdentity('arn:aws:sts::123456789012:assumed-role/Deployer/alice', 'Deployer/alice')).toBe(true);
    expect(
      sameIdentity('arn:aws:sts::123456789012:assumed-role/Deployer/alice', 'arn:aws:sts::123456789012:assumed-role/DEPLOYER/Alice'),
    ).toBe(true);
  });

  it('tells apart two sessions of one role, and one session name under two roles', () => {
    expect(
      sameIdentity('arn:aws:sts::123456789012:assumed-role/Deployer/alice', 'arn:aws:sts::123456789012:assumed-role/Deployer/bob'),
    ).toBe(false);
    expect(
      sameIdentity('arn:aws:sts::123456789012:assumed-role/Deployer/alice', 'arn:aws:sts::123456789012:assumed-role/Approver/alice'),
    ).toBe(false);
  });

  it('does not take an OS user name for a session of that name', () => {
    expect(sameIdentity('alice', 'arn:aws:sts::123456789012:assumed-role/Deployer/alice')).toBe(false);
  });
});
