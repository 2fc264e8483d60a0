/** ECR: the images of the repositories, by tag or digest. */
import { DescribeImagesCommand, ECRClient, ImageNotFoundException, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import type { AccountModel } from '../model.ts';
import { errorMeta, META, type ServiceSetup } from './common.ts';

interface DescribeImagesInput {
  repositoryName?: string;
  imageIds?: Array<{ imageTag?: string; imageDigest?: string }>;
}

function describeImages(m: AccountModel, input: DescribeImagesInput) {
  const repository = m.repositories[input.repositoryName ?? ''];
  if (!repository) {
    throw new RepositoryNotFoundException({
      message: `The repository with name '${input.repositoryName}' does not exist in the registry with id '${m.account}'`,
      ...errorMeta(400),
    });
  }
  const imageDetails = (input.imageIds ?? []).map((id) => {
    const image = repository.images.find((i) => (id.imageDigest ? i.digest === id.imageDigest : i.tags.includes(id.imageTag ?? '')));
    if (!image) {
      throw new ImageNotFoundException({
        message: `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${input.repositoryName}' in the registry with id '${m.account}'`,
        ...errorMeta(400),
      });
    }
    return {
      registryId: m.account,
      repositoryName: input.repositoryName,
      imageDigest: image.digest,
      imageTags: [...image.tags],
      ...(image.pushedAt ? { imagePushedAt: new Date(image.pushedAt) } : {}),
    };
  });
  return { ...META, imageDetails };
}

export function installEcr({ model: m, stubs, route }: ServiceSetup): void {
  const ecr = stubs.stub(ECRClient);
  ecr.on(DescribeImagesCommand).callsFake(route('ecr', 'DescribeImages', (input: DescribeImagesInput) => describeImages(m, input)));
}
