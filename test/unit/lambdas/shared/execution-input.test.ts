/**
 * The one reading of a raw execution input: which branch the state machine
 * takes, and what routing needs of it (dry run, service, what a recovery names,
 * the images a release asks for).
 */
import { describe, expect, it } from 'vitest';
import { classifyInput } from '../../../../lambdas/shared/execution-input.ts';
import { parseReleaseRequest } from '../../../../lambdas/shared/release.ts';

const VALID = { release: '2026-11-22.1', services: { api: { imageTag: 'v1.1.0' } } };

describe('classifyInput: a release dry run', () => {
  it.each([
    ['true for a release input with dryRun true', { ...VALID, dryRun: true }, true],
    ['true for a parsed release request with dryRun true', parseReleaseRequest({ ...VALID, dryRun: true }), true],
    ['false for a release input without dryRun', VALID, false],
    ['false for a parsed release request, dryRun false by default', parseReleaseRequest(VALID), false],
    ['false for a release input whose dryRun is the string "true"', { ...VALID, dryRun: 'true' }, false],
    [
      'false for a deployment input with dryRun true: it names a service, not a release',
      { service: 'web', imageTag: 'v1.4.2', dryRun: true },
      false,
    ],
    ['false for null', null, false],
    ['false for undefined', undefined, false],
    ['false for a string, even one of a release dry run in JSON', '{"release": "2026-11-22.1", "dryRun": true}', false],
    ['false for a number', 1, false],
    ['false for an array holding a release dry run', [{ ...VALID, dryRun: true }], false],
  ])('is %s', (_case, input, expected) => {
    // Arrange: the input of the row.

    // Act
    const asked = classifyInput(input);
    const dryRun = asked.kind === 'release' && asked.dryRun;

    // Assert
    expect(dryRun).toBe(expected);
  });
});

describe('classifyInput', () => {
  it.each([
    ['a deployment', { service: 'web', imageTag: 'v1.4.2' }, 'deployment'],
    ['a release', VALID, 'release'],
    ['a recovery', { recover: 'web-20250304-100000-7f3a' }, 'recovery'],
    ['a release recovery', { recoverRelease: 'release-20250304-093000-7f3a' }, 'release-recovery'],
    ['a recovery, as the state machine asks "Is recovery?" first', { recover: 'web-1', release: '2026-11-22.1' }, 'recovery'],
    ['a recovery, even of an empty name (present is present)', { recover: '' }, 'recovery'],
    ['a deployment, for anything but an object', ['release'], 'deployment'],
  ])('reads %s', (_case, input, kind) => {
    // Act
    const asked = classifyInput(input);

    // Assert
    expect(asked.kind).toBe(kind);
  });

  it('names what a recovery recovers only when it is a non-empty string', () => {
    // Act
    const named = classifyInput({ recover: 'web-1' });
    const unnamed = classifyInput({ recover: '' });

    // Assert
    expect(named.recovers).toBe('web-1');
    expect(unnamed.recovers).toBeUndefined();
  });

  it('reads the image each service of a release asks for, leaving out fields that are not text', () => {
    // Act
    const asked = classifyInput({ release: 'r', services: { api: { imageTag: 'v1' }, web: { imageDigest: 7 }, worker: 'v2' } });

    // Assert
    expect(Object.fromEntries(asked.images)).toEqual({ api: { imageTag: 'v1' }, web: {}, worker: {} });
  });

  it("reads a deployment's service only when it passes the request's check", () => {
    // Act
    const valid = classifyInput({ service: 'web', imageTag: 'v1' });
    const oversized = classifyInput({ service: 's'.repeat(50), imageTag: 'v1' });

    // Assert
    expect(valid.service).toBe('web');
    expect(Object.fromEntries(valid.images)).toEqual({ web: { imageTag: 'v1' } });
    expect(oversized.service).toBeUndefined();
    expect(oversized.images.size).toBe(0);
  });
});
