/**
 * The release input, the waves its services deploy in, the one strategy of a
 * shift "together" and the deployment ids of a release's services.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type BatonConfig, BatonConfigSchema, type ServiceConfig } from '../../../../lambdas/shared/config-schema.ts';
import { InvalidInputError, UnknownServiceError } from '../../../../lambdas/shared/errors.ts';
import { parseReleaseRequest, planWaves, serviceDeploymentId, togetherStrategy } from '../../../../lambdas/shared/release.ts';
import { StrategySchema } from '../../../../lambdas/shared/strategy.ts';
import { copyWithOwnResources, THREE_SERVICES_CONFIG_PATH } from '../../../support/config.ts';
import { NEW_DIGEST } from '../../../support/state.ts';

const RAW = JSON.parse(readFileSync(THREE_SERVICES_CONFIG_PATH, 'utf8')) as { services: Record<string, unknown>[] } & Record<
  string,
  unknown
>;
/** api; worker and web, which depend on it. */
const config = BatonConfigSchema.parse(RAW);
const RAW_API = RAW.services[0] as Record<string, unknown>;

/** The example config with services of these names and dependencies (copies of api), validated by the schema. */
function configWith(dependencies: Record<string, string[]>): BatonConfig {
  return BatonConfigSchema.parse({
    ...RAW,
    services: Object.entries(dependencies).map(([name, dependsOn]) => ({ ...copyWithOwnResources(RAW_API, name), dependsOn })),
  });
}

function configured(name: string): ServiceConfig {
  const found = config.services.find((service) => service.name === name);
  if (!found) throw new Error(`the three-service example has no "${name}"`);
  return found;
}

const CANARY = { type: 'canary' as const, percent: 10, bakeSeconds: 600 };
const LINEAR = { type: 'linear' as const, stepPercent: 25, intervalSeconds: 120 };

const VALID = { release: '2026-11-22.1', services: { api: { imageTag: 'v1.1.0' } } };

function error(run: () => unknown): Error {
  try {
    run();
  } catch (caught) {
    if (caught instanceof Error) return caught;
    throw new Error(`threw a non-Error: ${String(caught)}`);
  }
  throw new Error('expected an error, but it returned');
}

describe('parseReleaseRequest', () => {
  it('fills in the defaults of a valid release input', () => {
    // Arrange
    const input = { release: '2026-11-22.1', services: { api: { imageTag: 'v1.1.0' }, web: { imageDigest: NEW_DIGEST } } };

    // Act
    const request = parseReleaseRequest(input);

    // Assert
    expect(request).toEqual({
      release: '2026-11-22.1',
      services: { api: { imageTag: 'v1.1.0' }, web: { imageDigest: NEW_DIGEST } },
      shift: 'each',
      dryRun: false,
      trigger: 'console',
    });
  });

  it('keeps dryRun true when the input asks for a dry run', () => {
    // Arrange
    const input = { ...VALID, dryRun: true };

    // Act
    const request = parseReleaseRequest(input);

    // Assert
    expect(request).toEqual({
      release: '2026-11-22.1',
      services: { api: { imageTag: 'v1.1.0' } },
      shift: 'each',
      dryRun: true,
      trigger: 'console',
    });
  });

  it.each([
    ['a string', '2026-11-22.1'],
    ['null', null],
    ['an array', [VALID]],
  ])('rejects %s with InvalidInputError asking for a JSON object', (_case, input) => {
    // Arrange: the input of the row.

    // Act
    const failure = error(() => parseReleaseRequest(input));

    // Assert
    expect(failure).toBeInstanceOf(InvalidInputError);
    expect(failure.message).toBe(
      'release input must be a JSON object such as {"release": "2026-11-22.1", "services": {"api": {"imageTag": "v2"}}}',
    );
  });

  it.each([
    ['a missing release', { services: VALID.services }, 'release: required (string)'],
    [
      'a release name with a space',
      { ...VALID, release: '2026 11 22' },
      'release: name the release: letters, digits, ".", "_", "-"; at most 64, e.g. "2026-11-22.1"',
    ],
    [
      'a release name of 65 characters',
      { ...VALID, release: 'r'.repeat(65) },
      'release: name the release: letters, digits, ".", "_", "-"; at most 64, e.g. "2026-11-22.1"',
    ],
    ['no services', { ...VALID, services: {} }, 'services: name at least one service and its image'],
    ['an unknown field', { ...VALID, colour: 'green' }, 'colour: unknown field'],
    ['a dryRun that is a string', { ...VALID, dryRun: 'true' }, 'dryRun: Invalid input: expected boolean, received string'],
    ['a dryRun that is a number', { ...VALID, dryRun: 1 }, 'dryRun: Invalid input: expected boolean, received number'],
    [
      'an unknown field of a service',
      { ...VALID, services: { api: { imageTag: 'v1.1.0', tag: 'v1' } } },
      'services.api.tag: unknown field; did you mean "imageTag"?',
    ],
    [
      'both imageTag and imageDigest',
      { ...VALID, services: { api: { imageTag: 'v1.1.0', imageDigest: NEW_DIGEST } } },
      'services.api.imageDigest: give imageTag or imageDigest, not both',
    ],
    ['neither imageTag nor imageDigest', { ...VALID, services: { api: {} } }, 'services.api.imageTag: give imageTag or imageDigest'],
    [
      'a digest that is not sha256 and 64 hex digits',
      { ...VALID, services: { api: { imageDigest: 'sha256:abc123' } } },
      'services.api.imageDigest: expected "sha256:" followed by 64 lowercase hex digits',
    ],
    [
      '21 services',
      { ...VALID, services: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`svc${i}`, { imageTag: 'v1' }])) },
      'services: at most 20 services per release (got 21)',
    ],
  ])('rejects %s with InvalidInputError naming the field', (_case, input, issue) => {
    // Arrange: the input of the row.

    // Act
    const failure = error(() => parseReleaseRequest(input));

    // Assert
    expect(failure).toBeInstanceOf(InvalidInputError);
    expect(failure.message).toBe(`invalid release input: ${issue}`);
  });

  it('accepts 20 services, the most a release may have', () => {
    // Arrange
    const services = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`svc${i}`, { imageTag: 'v1' }]));

    // Act
    const request = parseReleaseRequest({ ...VALID, services });

    // Assert
    expect(Object.keys(request.services)).toHaveLength(20);
  });
});

describe('planWaves', () => {
  it('deploys api first, then web and worker together, sorted by name', () => {
    // Arrange: worker and web depend on api (three-service example).

    // Act
    const waves = planWaves(config, ['worker', 'web', 'api']);

    // Assert
    expect(waves).toEqual([['api'], ['web', 'worker']]);
  });

  it('puts a release without api into one wave', () => {
    // Arrange: worker and web do not depend on each other.

    // Act
    const waves = planWaves(config, ['worker', 'web']);

    // Assert
    expect(waves).toEqual([['web', 'worker']]);
  });

  it('gives a chain a -> b -> c three waves', () => {
    // Arrange
    const chain = configWith({ c: ['b'], b: ['a'], a: [] });

    // Act
    const waves = planWaves(chain, ['c', 'a', 'b']);

    // Assert
    expect(waves).toEqual([['a'], ['b'], ['c']]);
  });

  it('passes the order of a service outside the release through to the services that depend on it', () => {
    // Arrange: web depends on api, api on cache; the release leaves api alone.
    const layered = configWith({ cache: [], api: ['cache'], web: ['api'] });

    // Act
    const waves = planWaves(layered, ['web', 'cache']);

    // Assert
    expect(waves).toEqual([['cache'], ['web']]);
  });

  it('refuses services the config does not name with UnknownServiceError naming them and the known ones', () => {
    // Arrange
    const names = ['api', 'billing', 'search'];

    // Act
    const failure = error(() => planWaves(config, names));

    // Assert
    expect(failure).toBeInstanceOf(UnknownServiceError);
    expect(failure.message).toBe('invalid release input: services: "billing", "search" are not configured (known: api, worker, web)');
  });

  it('names a single unknown service with "is"', () => {
    // Arrange
    const names = ['billing'];

    // Act
    const failure = error(() => planWaves(config, names));

    // Assert
    expect(failure).toBeInstanceOf(UnknownServiceError);
    expect(failure.message).toBe('invalid release input: services: "billing" is not configured (known: api, worker, web)');
  });

  it('refuses a dependency cycle with InvalidInputError naming it', () => {
    // Arrange: the schema refuses cycles, so the config is built by hand.
    const api = configured('api');
    const cyclic: Pick<BatonConfig, 'services'> = {
      services: [
        { ...api, name: 'a', dependsOn: ['b'] },
        { ...api, name: 'b', dependsOn: ['a'] },
      ],
    };

    // Act
    const failure = error(() => planWaves(cyclic, ['a', 'b']));

    // Assert
    expect(failure).toBeInstanceOf(InvalidInputError);
    expect(failure.message).toBe('invalid release input: services: dependency cycle a -> b -> a; no order can deploy these services');
  });
});

describe('togetherStrategy', () => {
  const request = parseReleaseRequest({ ...VALID, shift: 'together' });

  it('is the strategy every service shares', () => {
    // Arrange
    const services = ['api', 'web', 'worker'].map((name) => ({ ...configured(name), strategy: CANARY }));

    // Act
    const strategy = togetherStrategy(request, services);

    // Assert
    expect(strategy).toEqual(CANARY);
  });

  it('refuses services with different strategies with InvalidInputError naming them and their strategies', () => {
    // Arrange
    const services = [configured('api'), { ...configured('web'), strategy: CANARY }, { ...configured('worker'), strategy: LINEAR }];

    // Act
    const failure = error(() => togetherStrategy(request, services));

    // Assert
    expect(failure).toBeInstanceOf(InvalidInputError);
    expect(failure.message).toBe(
      'invalid release input: strategy: shift "together" moves every service at the same steps, but api (all-at-once), web (canary 10 % for 600 s), worker (linear 25 % every 120 s) have different strategies; give "strategy" in the release input',
    );
  });

  it("is the release's strategy when the request gives one, whatever the services' strategies", () => {
    // Arrange
    const withStrategy = parseReleaseRequest({ ...VALID, shift: 'together', strategy: LINEAR });
    const services = [configured('api'), { ...configured('web'), strategy: CANARY }];

    // Act
    const strategy = togetherStrategy(withStrategy, services);

    // Assert
    expect(strategy).toEqual(LINEAR);
  });

  it('refuses a release strategy with a step that waits for baton promote with InvalidInputError', () => {
    // Arrange
    const waiting = parseReleaseRequest({
      ...VALID,
      shift: 'together',
      strategy: {
        type: 'steps',
        steps: [
          { weight: 10, pause: 'approval' },
          { weight: 50, pauseSeconds: 300 },
        ],
      },
    });
    const services = ['api', 'web'].map((name) => ({ ...configured(name), strategy: CANARY }));

    // Act
    const failure = error(() => togetherStrategy(waiting, services));

    // Assert
    expect(failure).toBeInstanceOf(InvalidInputError);
    expect(failure.message).toBe(
      'invalid release input: strategy: shift "together" holds every service for the same time; a step that waits for "baton promote" ("pause": "approval") works with shift "each", where each service is promoted by name',
    );
  });

  it('refuses services that share a strategy with a step that waits for baton promote', () => {
    // Arrange
    const waitingAt10 = StrategySchema.parse({ type: 'steps', steps: [{ weight: 10, pause: 'approval', onTimeout: 'proceed' }] });
    const services = ['api', 'web', 'worker'].map((name) => ({ ...configured(name), strategy: waitingAt10 }));

    // Act
    const failure = error(() => togetherStrategy(request, services));

    // Assert
    expect(failure).toBeInstanceOf(InvalidInputError);
    expect(failure.message).toContain('shift "together" holds every service for the same time');
  });
});

describe('serviceDeploymentId', () => {
  it("joins the release's id and the service's name", () => {
    // Arrange
    const releaseId = 'release-20261122-090000-7f3a';

    // Act
    const id = serviceDeploymentId(releaseId, 'worker');

    // Assert
    expect(id).toBe('release-20261122-090000-7f3a-worker');
  });
});
