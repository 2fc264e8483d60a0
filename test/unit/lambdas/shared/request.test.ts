import { describe, expect, it } from 'vitest';
import { BatonConfigSchema } from '../../../../lambdas/shared/config-schema.ts';
import { InvalidInputError } from '../../../../lambdas/shared/errors.ts';
import { parseRequest, servicesForPush, tagMatches } from '../../../../lambdas/shared/request.ts';
import { exampleConfig, rawExampleConfig } from '../../../support/config.ts';

const DIGEST = `sha256:${'b'.repeat(64)}`;

function ecrEvent(detail: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: 'a1b2',
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    detail: {
      result: 'SUCCESS',
      'repository-name': 'web',
      'image-digest': DIGEST,
      'action-type': 'PUSH',
      'image-tag': 'v2.0.0',
      ...detail,
    },
  };
}

describe('tagMatches', () => {
  it.each([
    ['v*', 'v1.4.2', true],
    ['v*', 'release-1', false],
    ['release-*-eu', 'release-7-eu', true],
    ['v1.4.2', 'v1.4.2', true],
    ['v1.4.2', 'v1x4x2', false],
    ['*', 'anything', true],
  ])('pattern %s against tag %s is %s', (pattern, tag, expected) => {
    expect(tagMatches(pattern, tag)).toBe(expected);
  });
});

describe('parseRequest', () => {
  it('turns an ECR push event into a deployment of the pushed digest', () => {
    // Act
    const request = parseRequest(ecrEvent(), exampleConfig());

    // Assert
    expect(request).toEqual({
      service: 'web',
      imageDigest: DIGEST,
      pushedTag: 'v2.0.0',
      trigger: 'ecr',
      reason: 'ECR push of web:v2.0.0 (event a1b2)',
      hotfix: false,
      dryRun: false,
    });
  });

  it.each([
    [{ 'action-type': 'DELETE' }, 'invalid ECR event: detail.action-type: only PUSH actions start a deployment'],
    [{ result: 'FAILURE' }, 'invalid ECR event: detail.result: only successful pushes start a deployment'],
    [{ 'image-digest': 'sha256:xyz' }, 'invalid ECR event: detail.image-digest: expected "sha256:" followed by 64 lowercase hex digits'],
    [
      { 'image-tag': 'latest' },
      'invalid ECR event: detail.repository-name: no service deploys web:latest (check ecr.repositoryName and ecr.tagPatterns)',
    ],
  ])('rejects the ECR event detail %j naming the field', (detail, message) => {
    // Act / Assert
    expect(() => parseRequest(ecrEvent(detail), exampleConfig())).toThrow(new InvalidInputError(message));
  });

  it('asks for one execution per service when a repository feeds several', () => {
    // Arrange
    const raw = rawExampleConfig() as { services: Array<Record<string, unknown>> };
    const web = raw.services[0] ?? {};
    const config = BatonConfigSchema.parse({
      ...raw,
      services: [
        web,
        {
          ...web,
          name: 'web-eu',
          // Its own listeners: two services never share one (config-schema.ts sharedResourceProblems).
          productionListenerArn:
            'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/3333333333333333',
          testListenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/4444444444444444',
          blue: {
            serviceName: 'web-eu-blue',
            targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-eu-blue/1111111111111111',
          },
          green: {
            serviceName: 'web-eu-green',
            targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-eu-green/2222222222222222',
          },
        },
      ],
    });

    // Act / Assert
    expect(servicesForPush(config, 'web', 'v2.0.0').map((s) => s.name)).toEqual(['web', 'web-eu']);
    expect(() => parseRequest(ecrEvent(), config)).toThrow(/web feeds web, web-eu; start one execution per service/);
  });

  it('rejects console input that is not an object', () => {
    expect(() => parseRequest('web', exampleConfig())).toThrow(
      new InvalidInputError('execution input must be a JSON object such as {"service": "web", "imageTag": "v1.4.2"}'),
    );
  });

  it('rejects an unknown field naming it', () => {
    expect(() => parseRequest({ service: 'web', imageTag: 'v1', colour: 'green' }, exampleConfig())).toThrow(
      /invalid execution input: colour: unknown field/,
    );
  });

  it.each([
    [{ service: 'web', tag: 'v1.4.2' }, 'tag: unknown field; did you mean "imageTag"?; imageTag: give imageTag, imageDigest or rollbackTo'],
    [{ service: 'web', imageTag: 'v1.4.2', dryrun: true }, 'dryrun: unknown field; did you mean "dryRun"?'],
    [
      { service: 'web', imagetag: 'v1.4.2' },
      'imagetag: unknown field; did you mean "imageTag"?; imageTag: give imageTag, imageDigest or rollbackTo',
    ],
    [{ serivce: 'web', imageTag: 'v1.4.2' }, 'service: required (string); serivce: unknown field; did you mean "service"?'],
  ])('names the field a typo most likely meant: %j', (input, message) => {
    expect(() => parseRequest(input, exampleConfig())).toThrow(new InvalidInputError(`invalid execution input: ${message}`));
  });

  it('shows what a strategy looks like when one is given as a string', () => {
    expect(() => parseRequest({ service: 'web', imageTag: 'v1.4.2', strategy: 'canary' }, exampleConfig())).toThrow(
      new InvalidInputError(
        'invalid execution input: strategy: expected an object such as {"type": "canary", "percent": 10, "bakeSeconds": 300} (types: all-at-once, canary, linear, steps)',
      ),
    );
  });

  it.each([
    [{ Comment: 'Insert your JSON here' }, '; Comment: unknown field'],
    [{}, ''],
  ])('answers input with no field of a request (the console placeholder, {}) with an example: %j', (input, unknown) => {
    expect(() => parseRequest(input, exampleConfig())).toThrow(
      new InvalidInputError(
        `invalid execution input: expected a deployment request such as {"service": "web", "imageTag": "v1.4.2"} (or "imageDigest" or "rollbackTo" in place of "imageTag")${unknown}`,
      ),
    );
  });
});
