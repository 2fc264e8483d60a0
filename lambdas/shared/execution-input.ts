/**
 * What a raw execution input asks for, read before (or without) its own
 * strict parse: the one place that tells a deployment, a release and the two
 * recoveries apart, for whatever routes or reports an execution by its input
 * (the backstop, finish release, the CLI, the simulator). It reads; it
 * refuses nothing: an input out of shape is classified as far as it can be,
 * and its own parser (request.ts, release.ts, recover, unwind release)
 * refuses it with the reason.
 */
import * as z from 'zod';
import { DeploymentRequestFields } from './contract.ts';

/** The image a deployment input, or one service of a release input, asks for (fields that are not text are left out). */
export interface ImageAsked {
  readonly imageTag?: string;
  readonly imageDigest?: string;
}

export interface ExecutionInput {
  /**
   * Which branch the state machine takes, in the order its Choice states ask
   * (Is recovery?, then Is release?): a field that is present decides, whatever its value.
   */
  readonly kind: 'recovery' | 'release-recovery' | 'release' | 'deployment';
  /** `dryRun: true`. */
  readonly dryRun: boolean;
  /** The service the input names, when it passes the request's check of a service name. */
  readonly service?: string;
  /** For a recovery, the deployment it recovers; for a release recovery, the release: when named (a non-empty string). */
  readonly recovers?: string;
  /** For a release, its name as the input writes it. */
  readonly release?: string;
  /** The services a release input names, each with the image it asks for; for a deployment input, its service's. */
  readonly images: ReadonlyMap<string, ImageAsked>;
}

const text = z.string().optional().catch(undefined);
const ImageAskedSchema = z.object({ imageTag: text, imageDigest: text }).catch({});

/** The fields routing reads, each as it comes (a JSON value, or absent). */
const field = z.unknown().optional();
const RawInputSchema = z.object({
  recover: field,
  recoverRelease: field,
  release: field,
  services: field,
  service: field,
  dryRun: field,
  imageTag: field,
  imageDigest: field,
});

/** Only the fields that are text, without keys for the others. */
function imageAsked(entry: unknown): ImageAsked {
  const { imageTag, imageDigest } = ImageAskedSchema.parse(entry);
  return { ...(imageTag !== undefined ? { imageTag } : {}), ...(imageDigest !== undefined ? { imageDigest } : {}) };
}

export function classifyInput(raw: unknown): ExecutionInput {
  const parsed = RawInputSchema.safeParse(raw);
  // Not an object (a string, a list, null): a deployment input, which initialize refuses.
  if (!parsed.success) return { kind: 'deployment', dryRun: false, images: new Map() };
  const input = parsed.data;
  const service = DeploymentRequestFields.shape.service.safeParse(input.service).data;
  const base = { dryRun: input.dryRun === true, ...(service ? { service } : {}) };
  const recovering = (kind: 'recovery' | 'release-recovery', recovers: unknown): ExecutionInput => {
    const name = typeof recovers === 'string' && recovers !== '' ? recovers : undefined;
    return { kind, ...base, ...(name ? { recovers: name } : {}), images: new Map() };
  };
  if (input.recover !== undefined) return recovering('recovery', input.recover);
  if (input.recoverRelease !== undefined) return recovering('release-recovery', input.recoverRelease);
  if (input.release !== undefined) {
    const services = typeof input.services === 'object' && input.services !== null ? Object.entries(input.services) : [];
    return {
      kind: 'release',
      ...base,
      release: String(input.release),
      images: new Map(services.map(([name, entry]) => [name, imageAsked(entry)])),
    };
  }
  return { kind: 'deployment', ...base, images: new Map(service ? [[service, imageAsked(input)]] : []) };
}
