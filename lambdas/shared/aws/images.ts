/**
 * When an image was pushed, to keep releases moving forward: a trigger for an
 * image older than the one live or deploying is SUPERSEDED; a newer one is
 * queued (lambdas/shared/queue.ts).
 */
import { DescribeImagesCommand, ImageNotFoundException } from '@aws-sdk/client-ecr';
import { ecr } from '../clients/ecr.ts';

export type ImageRef = { readonly imageTag: string } | { readonly imageDigest: string };

/** The image a lock's or a request's reference names: `tag:<tag>`, a digest, or nothing for a rollback. */
export function imageRefOf(reference: string): ImageRef | undefined {
  if (reference.startsWith('tag:')) return { imageTag: reference.slice('tag:'.length) };
  if (reference.startsWith('sha256:')) return { imageDigest: reference };
  return undefined;
}

/** The push time, or undefined when ECR does not know the image (then no order can be decided). */
export async function pushedAt(repositoryName: string, image: ImageRef): Promise<Date | undefined> {
  try {
    const out = await ecr().send(new DescribeImagesCommand({ repositoryName, imageIds: [image] }));
    return out.imageDetails?.[0]?.imagePushedAt;
  } catch (error) {
    if (error instanceof ImageNotFoundException) return undefined;
    throw error;
  }
}

/** Both push times, or undefined when either is unknown. */
export async function pushTimes(
  repositoryName: string,
  candidate: ImageRef,
  reference: ImageRef,
): Promise<{ candidate: Date; reference: Date } | undefined> {
  const [mine, theirs] = await Promise.all([pushedAt(repositoryName, candidate), pushedAt(repositoryName, reference)]);
  return mine && theirs ? { candidate: mine, reference: theirs } : undefined;
}

/** Both push times when `candidate` was pushed before `reference`; undefined otherwise or when either is unknown. */
export async function olderThan(
  repositoryName: string,
  candidate: ImageRef,
  reference: ImageRef,
): Promise<{ candidate: Date; reference: Date } | undefined> {
  const times = await pushTimes(repositoryName, candidate, reference);
  return times && times.candidate.getTime() < times.reference.getTime() ? times : undefined;
}
