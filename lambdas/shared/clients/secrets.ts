import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientOnce, SDK_OPTIONS, traced } from './once.ts';

/** Secrets Manager: secret metadata. */
export const secrets = /* @__PURE__ */ clientOnce(() => traced(new SecretsManagerClient(SDK_OPTIONS)));

/** Powertools Parameters over the same Secrets Manager client (so tests and the simulation see its calls). */
export const secretsProvider = /* @__PURE__ */ clientOnce(() => new SecretsProvider({ awsSdkV3Client: secrets() }));
