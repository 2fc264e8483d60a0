/**
 * The execution input in either of its forms, parsed into one
 * DeploymentRequest: the console/CLI JSON, or an ECR "Image Action" event
 * (pasted or delivered raw). The ECR push rule normally sends the console
 * form through an input transformer; the raw form is accepted so a pasted
 * event works too.
 */
import * as z from 'zod';
import type { BatonConfig, ServiceConfig } from './config-schema.ts';
import { type DeploymentRequest, DeploymentRequestFields, DeploymentRequestSchema, IMAGE_TAG } from './contract.ts';
import { InvalidInputError } from './errors.ts';
import { jsonShapeProblems } from './json-shape.ts';
import { formatIssues, issueLines } from './zod-format.ts';

const EXAMPLE_REQUEST = '{"service": "web", "imageTag": "v1.4.2"}';

/** An ECR push event as EventBridge delivers it (fields Baton reads). */
const EcrImageActionEventSchema = z.object({
  source: z.literal('aws.ecr'),
  'detail-type': z.literal('ECR Image Action', { message: 'only "ECR Image Action" events start a deployment' }),
  /** EventBridge event ids are UUIDs; the id goes into the recorded reason. */
  id: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, { message: 'not an EventBridge event id (a UUID such as 7bf73129-1428-4cd3-a780-95db273d1602)' })
    .optional(),
  detail: z.object({
    'action-type': z.literal('PUSH', { message: 'only PUSH actions start a deployment' }),
    result: z.literal('SUCCESS', { message: 'only successful pushes start a deployment' }),
    'repository-name': z
      .string()
      .max(256, { message: 'not an ECR repository name (at most 256 characters)' })
      .regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/, { message: 'not an ECR repository name' }),
    'image-digest': z.string().regex(/^sha256:[0-9a-f]{64}$/, { message: 'expected "sha256:" followed by 64 lowercase hex digits' }),
    'image-tag': z.string().regex(IMAGE_TAG, { message: 'not a valid image tag (letters, digits, ".", "_", "-"; at most 128)' }).optional(),
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

export function servicesForPush(config: BatonConfig, repository: string, tag: string): ServiceConfig[] {
  return config.services.filter(
    (service) => service.ecr.repositoryName === repository && service.ecr.tagPatterns.some((pattern) => tagMatches(pattern, tag)),
  );
}

export function parseRequest(raw: unknown, config: BatonConfig): DeploymentRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidInputError(`execution input must be a JSON object such as ${EXAMPLE_REQUEST}`);
  }
  const shape = jsonShapeProblems(raw);
  if (shape.length > 0) throw new InvalidInputError(`invalid execution input: ${shape.join('; ')}`);
  if ((raw as { source?: unknown }).source === 'aws.ecr') return fromEcrEvent(raw, config);
  const parsed = DeploymentRequestSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidInputError(`invalid execution input: ${requestProblems(raw, parsed.error).join('; ')}`);
  return parsed.data;
}

/**
 * An input with no field of a request at all (the console's placeholder
 * `{"Comment": "Insert your JSON here"}`, `{}`) is not a request gone wrong
 * but none: it gets an example rather than "service: required".
 */
function requestProblems(raw: object, error: z.ZodError): string[] {
  const lines = issueLines(error, DeploymentRequestSchema);
  if (Object.keys(raw).some((key) => Object.hasOwn(DeploymentRequestFields.shape, key))) return lines;
  const unknown = new z.ZodError(error.issues.filter((issue) => issue.code === 'unrecognized_keys'));
  return [
    `expected a deployment request such as ${EXAMPLE_REQUEST} (or "imageDigest" or "rollbackTo" in place of "imageTag")`,
    ...issueLines(unknown, DeploymentRequestSchema),
  ];
}

function fromEcrEvent(raw: object, config: BatonConfig): DeploymentRequest {
  const parsed = EcrImageActionEventSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidInputError(`invalid ECR event: ${formatIssues(parsed.error, EcrImageActionEventSchema)}`);
  const { detail, id } = parsed.data;
  const repository = detail['repository-name'];
  const tag = detail['image-tag'];
  if (tag === undefined) {
    // The push rule filters on image-tag (ecr.tagPatterns): EventBridge never matches an untagged push, so neither does a pasted one.
    const feeds = config.services.filter((service) => service.ecr.repositoryName === repository);
    throw new InvalidInputError(
      `invalid ECR event: detail.image-tag: missing; an untagged push starts no deployment (${feeds.length > 0 ? feeds.map((s) => `${s.name} deploys tags ${s.ecr.tagPatterns.join(', ')}`).join('; ') : `no service deploys ${repository}`}); to deploy this image, start {"service": ..., "imageDigest": "${detail['image-digest']}"}`,
    );
  }
  const services = servicesForPush(config, repository, tag);
  if (services.length === 0) {
    throw new InvalidInputError(
      `invalid ECR event: detail.repository-name: no service deploys ${repository}:${tag} (check ecr.repositoryName and ecr.tagPatterns)`,
    );
  }
  const [service, ...others] = services;
  if (!service || others.length > 0) {
    throw new InvalidInputError(
      `invalid ECR event: detail.repository-name: ${repository} feeds ${services.map((s) => s.name).join(', ')}; start one execution per service with {"service": ..., "imageDigest": ...}`,
    );
  }
  const request = DeploymentRequestSchema.safeParse({
    service: service.name,
    imageDigest: detail['image-digest'],
    pushedTag: tag,
    trigger: 'ecr',
    reason: `ECR push of ${repository}:${tag}${id ? ` (event ${id})` : ''}`,
  });
  // The fields above are bounded so this holds; should it not, the error still names the event, never a raw ZodError.
  if (!request.success) throw new InvalidInputError(`invalid ECR event: ${formatIssues(request.error)}`);
  return request.data;
}
