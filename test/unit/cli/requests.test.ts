/** buildRequest: a deployment request checked as the state machine checks it, a bad field named by its CLI option. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/errors.ts';
import { buildRequest } from '../../../cli/requests.ts';
import { DIGEST } from '../../support/cli-clients.ts';

describe('buildRequest', () => {
  it('fills the defaults of a console request', () => {
    expect(buildRequest({ service: 'web', imageTag: 'v1.4.2' })).toEqual({
      service: 'web',
      imageTag: 'v1.4.2',
      hotfix: false,
      dryRun: false,
      trigger: 'console',
    });
  });

  it('names the CLI option of a bad field', () => {
    expect(() => buildRequest({ service: 'web', imageDigest: 'sha256:abc' })).toThrow(
      new UsageError('--digest: expected "sha256:" followed by 64 lowercase hex digits'),
    );
  });

  it('refuses a tag and a digest together', () => {
    expect(() => buildRequest({ service: 'web', imageTag: 'v1.4.2', imageDigest: DIGEST })).toThrow(
      new UsageError('--digest: give imageTag or imageDigest, not both'),
    );
  });

  it('refuses a request with neither tag nor digest', () => {
    expect(() => buildRequest({ service: 'web' })).toThrow(new UsageError('--tag: give imageTag, imageDigest or rollbackTo'));
  });

  it('refuses a --reason that forges a status line before anything starts', () => {
    expect(() => buildRequest({ service: 'web', imageTag: 'v1.4.2', reason: 'ok\nSTATUS: SUCCEEDED' })).toThrow(
      new UsageError(
        '--reason: control character U+000A at character 3; write one line of printable text (no line breaks or terminal escapes)',
      ),
    );
  });

  it('refuses a rollback that also names a tag, under --to', () => {
    expect(() => buildRequest({ service: 'web', rollbackTo: 'web-v1_4_1-20261120T101500Z', imageTag: 'v1.4.2' })).toThrow(
      new UsageError('--to: a rollback redeploys the image of that release; do not also give imageTag or imageDigest'),
    );
  });
});
