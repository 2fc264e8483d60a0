/**
 * The simulated account's SDK stubs belong to one installation: uninstall()
 * restores the clients and lets go of every stub, so nothing a simulation's
 * calls recorded (the clients of the functions' containers, the fakes routing
 * to its account) stays reachable from sinon's process-wide default sandbox.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { SimulatedApis } from '../../../../sim/account/api.ts';
import { AccountModel } from '../../../../sim/account/model.ts';
import { AccountSchema } from '../../../../sim/account/schema.ts';
import { ROOT } from '../../../support/config.ts';

/** sinon's default sandbox (sinon itself), as aws-sdk-client-mock requires it when given none. */
const defaultSandbox = createRequire(createRequire(import.meta.url).resolve('aws-sdk-client-mock'))('sinon') as {
  getFakes(): unknown[];
};

function model(): AccountModel {
  const raw = JSON.parse(readFileSync(join(ROOT, 'sim', 'accounts', 'example.json'), 'utf8')) as unknown;
  return new AccountModel(AccountSchema.parse(raw), Date.now());
}

describe('SimulatedApis install and uninstall', () => {
  it('leaves no stub in sinon’s default sandbox and restores the clients, however many simulations ran', async () => {
    const original = SecretsManagerClient.prototype.send;
    for (let run = 0; run < 3; run++) {
      const apis = new SimulatedApis(model());
      apis.install();
      expect(SecretsManagerClient.prototype.send).not.toBe(original);
      await new SecretsManagerClient({ region: 'eu-west-1' })
        .send(new GetSecretValueCommand({ SecretId: 'no-such-secret' }))
        .catch(() => undefined);
      apis.uninstall();
      expect(defaultSandbox.getFakes()).toHaveLength(0);
      expect(SecretsManagerClient.prototype.send).toBe(original);
    }
  });
});
