/**
 * The simulated account's SDK stubs belong to one installation: uninstall()
 * restores the clients, so no later simulation's call reaches this account,
 * and a command no service module answers fails as one the account does not model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { SimulatedApis } from '../../../../sim/account/api.ts';
import { AccountModel } from '../../../../sim/account/model.ts';
import { AccountSchema } from '../../../../sim/account/schema.ts';
import { ROOT } from '../../../support/config.ts';

function model(): AccountModel {
  const raw = JSON.parse(readFileSync(join(ROOT, 'sim', 'accounts', 'example.json'), 'utf8')) as unknown;
  return new AccountModel(AccountSchema.parse(raw), Date.now());
}

describe('SimulatedApis install and uninstall', () => {
  it('restores the clients, however many simulations ran', async () => {
    const original = SecretsManagerClient.prototype.send;
    for (let run = 0; run < 3; run++) {
      const apis = new SimulatedApis(model());
      apis.install();
      expect(SecretsManagerClient.prototype.send).not.toBe(original);
      const error = await new SecretsManagerClient({ region: 'eu-west-1' })
        .send(new GetSecretValueCommand({ SecretId: 'no-such-secret' }))
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ name: 'ResourceNotFoundException' });
      expect(apis.calls.map((call) => `${call.operation} ${call.error ?? 'ok'}`)).toEqual(['GetSecretValue ResourceNotFoundException']);
      apis.uninstall();
      expect(SecretsManagerClient.prototype.send).toBe(original);
      expect(Object.hasOwn(SecretsManagerClient.prototype, 'send')).toBe(false);
    }
  });

  it('fails a command no service module answers, as one the account does not model', async () => {
    const apis = new SimulatedApis(model());
    apis.install();
    try {
      const error = await new SecretsManagerClient({ region: 'eu-west-1' })
        .send(new ListSecretsCommand({}))
        .catch((caught: unknown) => caught);
      expect(error).toEqual(new Error('the simulated account does not model this API call'));
      expect(apis.calls).toEqual([]);
    } finally {
      apis.uninstall();
    }
  });
});
