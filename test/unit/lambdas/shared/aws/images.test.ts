import { DescribeImagesCommand, ECRClient, ImageNotFoundException, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { imageRefOf, olderThan, pushedAt } from '../../../../../lambdas/shared/aws/images.ts';
import { failure, rejectByDefault } from '../../../../support/aws.ts';
import { NEW_DIGEST, NEW_TAG, OLD_DIGEST } from '../../../../support/state.ts';

const OLD_PUSHED = new Date('2025-03-01T08:00:00.000Z');
const NEW_PUSHED = new Date('2025-03-04T09:45:00.000Z');

describe('imageRefOf', () => {
  it.each([
    ['a tag reference', `tag:${NEW_TAG}`, { imageTag: NEW_TAG }],
    ['a digest', NEW_DIGEST, { imageDigest: NEW_DIGEST }],
    ['a rollback', 'rollback:web-v1_4_1-20250301T080000Z', undefined],
    ['an image URI', `123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@${NEW_DIGEST}`, undefined],
  ])('reads %s', (_case, reference, expected) => {
    // Arrange: the reference of the row.

    // Act
    const ref = imageRefOf(reference);

    // Assert
    expect(ref).toEqual(expected);
  });
});

describe('push times', () => {
  const ecrMock = mockClient(ECRClient);

  function givenPushed(imageId: { imageTag: string } | { imageDigest: string }, at: Date | undefined) {
    ecrMock
      .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [imageId] })
      .resolves({ imageDetails: [{ repositoryName: 'web', imageDigest: NEW_DIGEST, ...(at ? { imagePushedAt: at } : {}) }] });
  }

  beforeEach(() => {
    rejectByDefault(ecrMock);
  });

  describe('pushedAt', () => {
    it('reads the push time with DescribeImages of the one image', async () => {
      // Arrange
      givenPushed({ imageTag: NEW_TAG }, NEW_PUSHED);

      // Act
      const at = await pushedAt('web', { imageTag: NEW_TAG });

      // Assert
      expect(at).toEqual(NEW_PUSHED);
      expect(ecrMock).toHaveReceivedCommandExactlyOnceWith(DescribeImagesCommand, {
        repositoryName: 'web',
        imageIds: [{ imageTag: NEW_TAG }],
      });
    });

    it('knows no push time for an image ECR does not have', async () => {
      // Arrange
      ecrMock
        .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageDigest: OLD_DIGEST }] })
        .rejects(
          new ImageNotFoundException({ message: `The image with imageId {imageDigest:'${OLD_DIGEST}'} does not exist`, $metadata: {} }),
        );

      // Act
      const at = await pushedAt('web', { imageDigest: OLD_DIGEST });

      // Assert
      expect(at).toBeUndefined();
    });

    it('knows no push time when ECR answers without image details', async () => {
      // Arrange
      ecrMock.on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [{ imageDigest: OLD_DIGEST }] }).resolves({ imageDetails: [] });

      // Act
      const at = await pushedAt('web', { imageDigest: OLD_DIGEST });

      // Assert
      expect(at).toBeUndefined();
    });

    it('throws any other ECR error', async () => {
      // Arrange
      const missing = new RepositoryNotFoundException({ message: "The repository with name 'web' does not exist", $metadata: {} });
      ecrMock.on(DescribeImagesCommand, { repositoryName: 'web' }).rejects(missing);

      // Act
      const error = await failure(pushedAt('web', { imageTag: NEW_TAG }));

      // Assert
      expect(error).toBe(missing);
    });
  });

  describe('olderThan', () => {
    it('returns both push times when the candidate was pushed before the reference', async () => {
      // Arrange
      givenPushed({ imageDigest: OLD_DIGEST }, OLD_PUSHED);
      givenPushed({ imageTag: NEW_TAG }, NEW_PUSHED);

      // Act
      const older = await olderThan('web', { imageDigest: OLD_DIGEST }, { imageTag: NEW_TAG });

      // Assert
      expect(older).toEqual({ candidate: OLD_PUSHED, reference: NEW_PUSHED });
    });

    it('returns nothing when the candidate was pushed after the reference', async () => {
      // Arrange
      givenPushed({ imageDigest: OLD_DIGEST }, OLD_PUSHED);
      givenPushed({ imageTag: NEW_TAG }, NEW_PUSHED);

      // Act
      const older = await olderThan('web', { imageTag: NEW_TAG }, { imageDigest: OLD_DIGEST });

      // Assert
      expect(older).toBeUndefined();
    });

    it('returns nothing when both were pushed at the same instant', async () => {
      // Arrange
      givenPushed({ imageDigest: OLD_DIGEST }, NEW_PUSHED);
      givenPushed({ imageTag: NEW_TAG }, new Date(NEW_PUSHED.getTime()));

      // Act
      const older = await olderThan('web', { imageDigest: OLD_DIGEST }, { imageTag: NEW_TAG });

      // Assert
      expect(older).toBeUndefined();
    });

    it.each([
      ['the candidate', { imageDigest: OLD_DIGEST }],
      ['the reference', { imageTag: NEW_TAG }],
    ])('returns nothing when ECR knows no push time of %s', async (_case, unknown) => {
      // Arrange
      givenPushed({ imageDigest: OLD_DIGEST }, OLD_PUSHED);
      givenPushed({ imageTag: NEW_TAG }, NEW_PUSHED);
      ecrMock
        .on(DescribeImagesCommand, { repositoryName: 'web', imageIds: [unknown] })
        .rejects(new ImageNotFoundException({ message: 'The image does not exist', $metadata: {} }));

      // Act
      const older = await olderThan('web', { imageDigest: OLD_DIGEST }, { imageTag: NEW_TAG });

      // Assert
      expect(older).toBeUndefined();
    });

    it('returns nothing when ECR has an image without a push time', async () => {
      // Arrange
      givenPushed({ imageDigest: OLD_DIGEST }, undefined);
      givenPushed({ imageTag: NEW_TAG }, NEW_PUSHED);

      // Act
      const older = await olderThan('web', { imageDigest: OLD_DIGEST }, { imageTag: NEW_TAG });

      // Assert
      expect(older).toBeUndefined();
    });
  });
});
