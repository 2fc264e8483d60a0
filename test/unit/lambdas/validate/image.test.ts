import { DescribeImagesCommand, ImageNotFoundException } from '@aws-sdk/client-ecr';
import { beforeEach, describe, expect, it } from 'vitest';
import { DuplicateTriggerError, ImageNotFoundError, SupersededError } from '../../../../lambdas/shared/errors.ts';
import { handler, liveImageRef } from '../../../../lambdas/validate/index.ts';
import { failure } from '../../../support/aws.ts';
import {
  ACCOUNT,
  initialState,
  NEW_DIGEST,
  NEW_IMAGE_URI,
  NEW_TAG,
  OLD_DIGEST,
  OLD_IMAGE_URI,
  REPOSITORY_URI,
} from '../../../support/state.ts';
import {
  arrangeEveryCheckPasses,
  cacheMock,
  cloudwatchMock,
  ecrMock,
  givenImage,
  imageReads,
  liveContainerImage,
  NEW_PUSHED,
  OLD_PUSHED,
  secretReads,
  secretsMock,
} from '../../../support/validate.ts';

describe('validate: image', () => {
  beforeEach(() => {
    // Arrange (shared): an account in which every check passes.
    arrangeEveryCheckPasses();
  });

  it('resolves the tag to the image digest and its URI by digest', async () => {
    // Arrange: every check passes (beforeEach).

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.image).toEqual({ repositoryName: 'web', tag: NEW_TAG, digest: NEW_DIGEST, uri: NEW_IMAGE_URI });
  });

  it('fails with ImageNotFoundError when ECR does not have the tag', async () => {
    // Arrange
    ecrMock
      .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageTag: NEW_TAG }] })
      .rejects(new ImageNotFoundException({ message: "The image with imageId {imageTag:'v1.4.2'} does not exist", $metadata: {} }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect(error.message).toBe(`image tag ${NEW_TAG} not found in ECR repository web`);
  });

  it('fails with DuplicateTriggerError when the live colour already runs the digest', async () => {
    // Arrange
    liveContainerImage(NEW_IMAGE_URI);

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(DuplicateTriggerError);
    expect(error.message).toBe(`web already runs ${NEW_DIGEST} on blue; nothing to deploy`);
  });

  it('reads the push times of the new image, by digest, and of the live image, by its digest', async () => {
    // Arrange: the live image is OLD_IMAGE_URI, pushed before the new one (beforeEach).

    // Act
    await handler(initialState());

    // Assert
    expect(imageReads()).toEqual([
      { repositoryName: 'web', imageIds: [{ imageTag: NEW_TAG }] },
      { repositoryName: 'web', imageIds: [{ imageDigest: NEW_DIGEST }] },
      { repositoryName: 'web', imageIds: [{ imageDigest: OLD_DIGEST }] },
    ]);
  });

  it('fails with SupersededError, before reading the secret, when the new image was pushed before the live one', async () => {
    // Arrange
    givenImage({ imageDigest: NEW_DIGEST }, { imageDigest: NEW_DIGEST, imageTags: [NEW_TAG], imagePushedAt: OLD_PUSHED });
    givenImage({ imageDigest: OLD_DIGEST }, { imageDigest: OLD_DIGEST, imageTags: ['v1.4.1'], imagePushedAt: NEW_PUSHED });

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(SupersededError);
    expect(error.message).toBe(
      `${NEW_TAG} (pushed 2025-03-01T08:00:00.000Z) is older than the image live on blue (${OLD_IMAGE_URI}, pushed 2025-03-04T09:45:00.000Z); releases do not go backwards by accident (use "baton rollback" to go back)`,
    );
    expect(secretsMock).not.toHaveReceivedAnyCommand();
    expect(cacheMock).not.toHaveReceivedAnyCommand();
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
  });

  it('fails with ImageNotFoundError, reading nothing more, when the digest does not carry the pushedTag', async () => {
    // Arrange: an ECR trigger naming v9.9.9 for the digest tagged NEW_TAG.
    const pushed = initialState({
      request: { service: 'web', imageDigest: NEW_DIGEST, pushedTag: 'v9.9.9', hotfix: false, dryRun: false, trigger: 'ecr' },
    });

    // Act
    const error = await failure(handler(pushed));

    // Assert
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect(error.message).toBe(`pushedTag: image ${NEW_DIGEST} in ECR repository web is not tagged v9.9.9 (its tags: ${NEW_TAG})`);
    expect(secretReads()).toEqual([]);
  });

  it('accepts a pushedTag the digest carries', async () => {
    const pushed = initialState({
      request: { service: 'web', imageDigest: NEW_DIGEST, pushedTag: NEW_TAG, hotfix: false, dryRun: false, trigger: 'ecr' },
    });

    expect((await handler(pushed)).image?.digest).toBe(NEW_DIGEST);
  });

  it('names the image by the pushedTag it carries, so the approval request and the outcome say the tag, not the digest (issue 16, item 8)', async () => {
    // Arrange: an ECR trigger, by digest, naming the tag it pushed.
    const pushed = initialState({
      request: { service: 'web', imageDigest: NEW_DIGEST, pushedTag: NEW_TAG, hotfix: false, dryRun: false, trigger: 'ecr' },
    });

    // Act
    const { image } = await handler(pushed);

    // Assert
    expect(image).toMatchObject({ repositoryName: 'web', tag: NEW_TAG, digest: NEW_DIGEST });
  });

  it('names the new image by digest in the SupersededError of a request by digest', async () => {
    // Arrange
    const byDigest = initialState({ request: { service: 'web', imageDigest: NEW_DIGEST, hotfix: false, dryRun: false, trigger: 'ecr' } });
    givenImage({ imageDigest: NEW_DIGEST }, { imageDigest: NEW_DIGEST, imagePushedAt: OLD_PUSHED });
    givenImage({ imageDigest: OLD_DIGEST }, { imageDigest: OLD_DIGEST, imagePushedAt: NEW_PUSHED });

    // Act
    const error = await failure(handler(byDigest));

    // Assert
    expect(error).toBeInstanceOf(SupersededError);
    expect(error.message).toBe(
      `${NEW_DIGEST} (pushed 2025-03-01T08:00:00.000Z) is older than the image live on blue (${OLD_IMAGE_URI}, pushed 2025-03-04T09:45:00.000Z); releases do not go backwards by accident (use "baton rollback" to go back)`,
    );
  });

  it('compares with a live image referenced by tag through that tag', async () => {
    // Arrange
    const liveByTag = `${REPOSITORY_URI}:v1.4.1`;
    liveContainerImage(liveByTag);
    givenImage(
      { imageTag: 'v1.4.1' },
      { imageDigest: OLD_DIGEST, imageTags: ['v1.4.1'], imagePushedAt: new Date('2025-03-04T09:50:00.000Z') },
    );

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(SupersededError);
    expect(error.message).toBe(
      `${NEW_TAG} (pushed 2025-03-04T09:45:00.000Z) is older than the image live on blue (${liveByTag}, pushed 2025-03-04T09:50:00.000Z); releases do not go backwards by accident (use "baton rollback" to go back)`,
    );
  });

  it('passes when the new image was pushed after the live one', async () => {
    // Arrange: NEW_PUSHED is after OLD_PUSHED (beforeEach).

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.image).toEqual({ repositoryName: 'web', tag: NEW_TAG, digest: NEW_DIGEST, uri: NEW_IMAGE_URI });
  });

  it('compares no push times when the live image comes from another repository', async () => {
    // Arrange
    const foreign = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/web-legacy@${OLD_DIGEST}`;
    liveContainerImage(foreign);

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.previous?.image).toBe(foreign);
    expect(imageReads()).toEqual([{ repositoryName: 'web', imageIds: [{ imageTag: NEW_TAG }] }]);
  });

  it('passes when ECR no longer knows the live image, so no order can be decided', async () => {
    // Arrange
    ecrMock
      .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageDigest: OLD_DIGEST }] })
      .rejects(
        new ImageNotFoundException({ message: `The image with imageId {imageDigest:'${OLD_DIGEST}'} does not exist`, $metadata: {} }),
      );

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.image?.digest).toBe(NEW_DIGEST);
  });

  it('passes when ECR reports no push time', async () => {
    // Arrange
    givenImage({ imageDigest: NEW_DIGEST }, { imageDigest: NEW_DIGEST, imageTags: [NEW_TAG] });
    givenImage({ imageDigest: OLD_DIGEST }, { imageDigest: OLD_DIGEST, imagePushedAt: NEW_PUSHED });

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.image?.digest).toBe(NEW_DIGEST);
  });
});

describe('liveImageRef', () => {
  it.each([
    ['an image by digest', `${REPOSITORY_URI}@${OLD_DIGEST}`, 'web', { imageDigest: OLD_DIGEST }],
    ['an image by tag', `${REPOSITORY_URI}:v1.4.1`, 'web', { imageTag: 'v1.4.1' }],
    [
      'a repository name with a namespace',
      `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/team/web:v1.4.1`,
      'team/web',
      { imageTag: 'v1.4.1' },
    ],
    ['a registry that is not ECR (it cannot hold the service repository)', 'registry.internal:5000/web:v1.4.1', 'web', undefined],
    ['public ECR', 'public.ecr.aws/web:v1.4.1', 'web', undefined],
    ['an ECR registry in China', `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/web:v1.4.1`, 'web', { imageTag: 'v1.4.1' }],
    ['a registry host whose account is not 12 digits', '12345.dkr.ecr.eu-west-1.amazonaws.com/web:v1.4.1', 'web', undefined],
    [
      'a host that only starts like an ECR registry',
      `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com.evil.example/web:v1.4.1`,
      'web',
      undefined,
    ],
    [
      'a tag and a digest (the digest counts)',
      `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/web:v1.4.1@${OLD_DIGEST}`,
      'web',
      { imageDigest: OLD_DIGEST },
    ],
    ['an image without tag or digest', REPOSITORY_URI, 'web', undefined],
    ['an image of another repository', `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/api@${OLD_DIGEST}`, 'web', undefined],
    [
      'a repository whose name only ends like the configured one',
      `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/team/web:v1.4.1`,
      'web',
      undefined,
    ],
    ['a digest that is not sha256 and 64 hex digits', `${REPOSITORY_URI}@sha256:abc123`, 'web', undefined],
    ['an image without a registry', 'web:v1.4.1', 'web', undefined],
  ])('reads %s', (_case, image, repositoryName, expected) => {
    // Arrange: the image and repository of the row.

    // Act
    const ref = liveImageRef(image, repositoryName);

    // Assert
    expect(ref).toEqual(expected);
  });
});
