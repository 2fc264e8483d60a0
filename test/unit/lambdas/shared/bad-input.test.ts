/**
 * Bad execution input is refused with an error naming the field in the
 * user's terms (issue 14, item 12): control characters in free text, a
 * pushedTag that is not the image's tag, an untagged or oversized ECR event,
 * keys named "__proto__", and input nested deeper than anything Baton reads.
 */
import { describe, expect, it } from 'vitest';
import { recordedRequest } from '../../../../lambdas/record-failure/index.ts';
import { InvalidInputError } from '../../../../lambdas/shared/errors.ts';
import { jsonShapeProblems, MAX_JSON_DEPTH } from '../../../../lambdas/shared/json-shape.ts';
import { parseReleaseRequest } from '../../../../lambdas/shared/release.ts';
import { parseRequest } from '../../../../lambdas/shared/request.ts';
import { type ConfigError, parseConfig } from '../../../../lib/config/load.ts';
import { exampleConfig, rawExampleConfig } from '../../../support/config.ts';

const DIGEST = `sha256:${'b'.repeat(64)}`;

function ecrEvent(detail: Record<string, unknown> = {}, id = '7bf73129-1428-4cd3-a780-95db273d1602') {
  return {
    version: '0',
    id,
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

/** The message parseRequest refuses `raw` with (and that it is an InvalidInputError). */
function refusal(raw: unknown): string {
  try {
    parseRequest(raw, exampleConfig());
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

/** `{"a": {"a": ... 1}}`, `levels` objects deep. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < levels; level += 1) value = { a: value };
  return value;
}

const ONE_LINE = 'write one line of printable text (no line breaks or terminal escapes)';

describe('free text in the request', () => {
  it('refuses a reason that forges a status line, naming the character and where it is', () => {
    expect(refusal({ service: 'web', imageTag: 'v1', reason: 'ok\nSTATUS: SUCCEEDED' })).toBe(
      `invalid execution input: reason: control character U+000A at character 3; ${ONE_LINE}`,
    );
  });

  it('refuses ANSI escapes in requestedBy', () => {
    expect(refusal({ service: 'web', imageTag: 'v1', requestedBy: '\u001b[32malice\u001b[0m' })).toBe(
      `invalid execution input: requestedBy: control character U+001B at character 1; ${ONE_LINE}`,
    );
  });

  it('refuses a line separator and a bidirectional override in a release reason', () => {
    expect(() => parseReleaseRequest({ release: 'r1', services: { web: { imageTag: 'v1' } }, reason: 'a\u2028b' })).toThrow(
      new InvalidInputError(`invalid release input: reason: control character U+2028 at character 2; ${ONE_LINE}`),
    );
    expect(() => parseReleaseRequest({ release: 'r1', services: { web: { imageTag: 'v1' } }, reason: '\u202eok' })).toThrow(
      new InvalidInputError(`invalid release input: reason: control character U+202E at character 1; ${ONE_LINE}`),
    );
  });

  it('accepts a plain reason with accents and punctuation', () => {
    expect(parseRequest({ service: 'web', imageTag: 'v1', reason: 'Déploiement: fix #42 (été)' }, exampleConfig()).reason).toBe(
      'Déploiement: fix #42 (été)',
    );
  });
});

describe('pushedTag', () => {
  it('refuses a pushedTag that is not the imageTag', () => {
    expect(refusal({ service: 'web', imageTag: 'v1', pushedTag: 'v2' })).toBe(
      'invalid execution input: pushedTag: "v2" is not the imageTag "v1"; pushedTag names the tag of the image deployed by imageDigest',
    );
  });

  it('refuses a pushedTag on a rollback', () => {
    expect(refusal({ service: 'web', rollbackTo: 'deploy-1', pushedTag: 'v2' })).toBe(
      'invalid execution input: pushedTag: a rollback redeploys the image of that release; do not give pushedTag',
    );
  });
});

describe('a pasted ECR event', () => {
  it('refuses an untagged push although the digest is valid: the push rule never matches one', () => {
    const event = ecrEvent();
    delete (event.detail as Record<string, unknown>)['image-tag'];

    expect(refusal(event)).toBe(
      `invalid ECR event: detail.image-tag: missing; an untagged push starts no deployment (web deploys tags v*); to deploy this image, start {"service": ..., "imageDigest": "${DIGEST}"}`,
    );
  });

  it('names the event id, not an internal field, when it is too long', () => {
    expect(refusal(ecrEvent({}, 'x'.repeat(600)))).toBe(
      'invalid ECR event: id: not an EventBridge event id (a UUID such as 7bf73129-1428-4cd3-a780-95db273d1602)',
    );
  });

  it('names detail.image-tag when the tag is longer than ECR allows', () => {
    expect(refusal(ecrEvent({ 'image-tag': `v${'1'.repeat(200)}` }))).toBe(
      'invalid ECR event: detail.image-tag: not a valid image tag (letters, digits, ".", "_", "-"; at most 128)',
    );
  });

  it('keeps the longest valid event within the recorded reason', () => {
    const request = parseRequest(ecrEvent({ 'image-tag': `v${'1'.repeat(127)}` }, 'f'.repeat(64)), exampleConfig());

    expect(request.reason).toBe(`ECR push of web:v${'1'.repeat(127)} (event ${'f'.repeat(64)})`);
  });
});

describe('the shape of JSON that enters', () => {
  it('refuses a key named __proto__ in the execution input, which JavaScript would drop', () => {
    expect(refusal(JSON.parse('{"service": "web", "imageTag": "v1", "__proto__": {"dryRun": true}}'))).toBe(
      'invalid execution input: __proto__: "__proto__" cannot name a field (JavaScript objects drop it); remove or rename it',
    );
  });

  it("refuses __proto__ among a release's services", () => {
    expect(() => parseReleaseRequest(JSON.parse('{"release": "r1", "services": {"web": {"imageTag": "v1"}, "__proto__": {}}}'))).toThrow(
      new InvalidInputError(
        'invalid release input: services.__proto__: "__proto__" cannot name a field (JavaScript objects drop it); remove or rename it',
      ),
    );
  });

  it('refuses __proto__ among the app-config keys of baton.config.json, naming the path', () => {
    const text = JSON.stringify(rawExampleConfig()).replace('"DATABASE_URL":"url",', '"DATABASE_URL":"url","__proto__":"string",');

    let problems: readonly string[] = [];
    try {
      parseConfig(JSON.parse(text), 'baton.config.json');
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([
      'services[0].appConfig.keys.__proto__: "__proto__" cannot name a field (JavaScript objects drop it); remove or rename it',
    ]);
  });

  it(`refuses input nested 4,000 levels deep at once, naming the top field`, () => {
    expect(refusal({ service: 'web', imageTag: 'v1', x: nested(4000) })).toBe(
      `invalid execution input: x: nested more than ${MAX_JSON_DEPTH} levels deep (objects and arrays within each other); nothing Baton reads is nested that deep`,
    );
  });

  it('accepts 32 levels and refuses 33', () => {
    expect(jsonShapeProblems(nested(MAX_JSON_DEPTH))).toEqual([]);
    expect(jsonShapeProblems(nested(MAX_JSON_DEPTH + 1))).toEqual([
      'a: nested more than 32 levels deep (objects and arrays within each other); nothing Baton reads is nested that deep',
    ]);
  });

  it('shows a long unknown key cut, saying how long it was', () => {
    expect(refusal({ service: 'web', imageTag: 'v1', ['k'.repeat(100_000)]: 1 })).toBe(
      `invalid execution input: ${'k'.repeat(256)}…(100000 characters): unknown field`,
    );
  });
});

describe('what a rejection records of the input', () => {
  it('keeps valid fields and leaves out, with a note, those that fail their check', () => {
    expect(
      recordedRequest({ service: 'web', imageTag: 'v1', reason: 'r'.repeat(300_000), requestedBy: 'a\nSTATUS: OK', trigger: 'cli' }),
    ).toEqual({
      service: 'web',
      imageTag: 'v1',
      trigger: 'cli',
      omitted: [
        "requestedBy (12 characters, not recorded: it fails the request's checks)",
        "reason (300000 characters, not recorded: it fails the request's checks)",
      ],
    });
  });

  it('records no service name longer than a service name can be', () => {
    expect(recordedRequest({ service: 's'.repeat(50_000), imageTag: 'v1' })).toEqual({
      imageTag: 'v1',
      omitted: ["service (50000 characters, not recorded: it fails the request's checks)"],
    });
  });
});
