/**
 * The execution input in either of its forms, parsed into one
 * DeploymentRequest: the console/CLI JSON, or an ECR "Image Action" event
 * (pasted or delivered raw). The ECR push rule normally sends the console
 * form through an input transformer; the raw form is accepted so a pasted
 * event works too.
 */
import { z } from 'zod';
import type { BatonConfig, ServiceConfig } from './config-schema.ts';
import { type DeploymentRequest, DeploymentRequestSchema } from './contract.ts';
import { InvalidInputError } from './errors.ts';
import { formatIssues } from './zod-format.ts';

/** An ECR push event as EventBridge delivers it (fields Baton reads). */
export const EcrImageActionEventSchema = z.object({
  source: z.literal('aws.ecr'),
  'detail-type': z.literal('ECR Image Action', { message: 'only "ECR Image Action" events start a deployment' }),
  id: z.string().optional(),
  detail: z.object({
    'action-type': z.literal('PUSH', { message: 'only PUSH actions start a deployment' }),
    result: z.literal('SUCCESS', { message: 'only successful pushes start a deployment' }),
    'repository-name': z.string().min(1),
    'image-digest': z.string().regex(/^sha256:[0-9a-f]{64}$/, { message: 'expected "sha256:" followed by 64 lowercase hex digits' }),
    'image-tag': z.string().optional(),
  }),
});

/** EventBridge-style wildcard: "*" matches any run of characters; everything else is literal. */
export function tagMatches(pattern: string, tag: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(tag);
}

export function servicesForPush(config: BatonConfig, repository: string, tag: string | undefined): ServiceConfig[] {
  return config.services.filter(
    (service) =>
      service.ecr.repositoryName === repository &&
      (tag === undefined || service.ecr.tagPatterns.some((pattern) => tagMatches(pattern, tag))),
  );
}

export function parseRequest(raw: unknown, config: BatonConfig): DeploymentRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidInputError('execution input must be a JSON object such as {"service": "web", "imageTag": "v1.4.2"}');
  }
  if ((raw as { source?: unknown }).source === 'aws.ecr') return fromEcrEvent(raw, config);
  const parsed = DeploymentRequestSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidInputError(`invalid execution input: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

function fromEcrEvent(raw: object, config: BatonConfig): DeploymentRequest {
  const parsed = EcrImageActionEventSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidInputError(`invalid ECR event: ${formatIssues(parsed.error)}`);
  const { detail, id } = parsed.data;
  const repository = detail['repository-name'];
  const tag = detail['image-tag'];
  const services = servicesForPush(config, repository, tag);
  if (services.length === 0) {
    throw new InvalidInputError(
      `invalid ECR event: detail.repository-name: no service deploys ${repository}${tag ? `:${tag}` : ''} (check ecr.repositoryName and ecr.tagPatterns)`,
    );
  }
  const [service, ...others] = services;
  if (!service || others.length > 0) {
    throw new InvalidInputError(
      `invalid ECR event: detail.repository-name: ${repository} feeds ${services.map((s) => s.name).join(', ')}; start one execution per service with {"service": ..., "imageDigest": ...}`,
    );
  }
  return DeploymentRequestSchema.parse({
    service: service.name,
    imageDigest: detail['image-digest'],
    ...(tag ? { pushedTag: tag } : {}),
    trigger: 'ecr',
    reason: `ECR push of ${repository}${tag ? `:${tag}` : ''}${id ? ` (event ${id})` : ''}`,
  });
}
