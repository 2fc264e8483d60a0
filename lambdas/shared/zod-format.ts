/**
 * Renders zod issues as "field.path: what is wrong" lines, the form every
 * boundary (config file, execution input, CLI) uses to name the bad field.
 * Given the schema, an unknown field also names the known field it most
 * likely meant (`dryrun: unknown field; did you mean "dryRun"?`).
 */
import type * as z from 'zod';
// Named imports from core, not z.core: the whole core namespace (every locale with it) would go into each bundle.
import {
  $ZodArray,
  $ZodCatch,
  $ZodDefault,
  $ZodIntersection,
  $ZodLazy,
  $ZodNonOptional,
  $ZodNullable,
  $ZodObject,
  $ZodOptional,
  $ZodPipe,
  $ZodPrefault,
  $ZodReadonly,
  $ZodRecord,
  $ZodTuple,
  type $ZodType,
  $ZodUnion,
} from 'zod/v4/core';
import { closestName } from './did-you-mean.ts';

/** Longest field name shown whole (ARNs used as keys fit): a longer one (an unknown key pasted by mistake) is cut, saying how long it was. */
const MAX_SHOWN_KEY = 256;

type Schema = $ZodType;

export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const segment of path) {
    const key = String(segment);
    const shown = key.length > MAX_SHOWN_KEY ? `${key.slice(0, MAX_SHOWN_KEY)}…(${key.length} characters)` : key;
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? shown : `.${shown}`;
  }
  return out === '' ? '(root)' : out;
}

/** The schemas a value of `schema` may be checked by once wrappers (optional, default, pipe) are looked through; every option of a union. */
function unwrap(schema: Schema): Schema[] {
  if (
    schema instanceof $ZodOptional ||
    schema instanceof $ZodNullable ||
    schema instanceof $ZodDefault ||
    schema instanceof $ZodPrefault ||
    schema instanceof $ZodNonOptional ||
    schema instanceof $ZodReadonly ||
    schema instanceof $ZodCatch
  ) {
    return unwrap(schema._zod.def.innerType);
  }
  if (schema instanceof $ZodPipe) return unwrap(schema._zod.def.in);
  if (schema instanceof $ZodLazy) return unwrap(schema._zod.innerType);
  if (schema instanceof $ZodUnion) return schema._zod.def.options.flatMap(unwrap);
  if (schema instanceof $ZodIntersection) return [schema._zod.def.left, schema._zod.def.right].flatMap(unwrap);
  return [schema];
}

/** The schemas of the value at `segment` inside a value of `schema`. */
function child(schema: Schema, segment: PropertyKey): Schema[] {
  if (schema instanceof $ZodObject) {
    const field = typeof segment === 'string' ? schema._zod.def.shape[segment] : undefined;
    return field ? unwrap(field) : [];
  }
  if (schema instanceof $ZodArray) return typeof segment === 'number' ? unwrap(schema._zod.def.element) : [];
  if (schema instanceof $ZodRecord) return unwrap(schema._zod.def.valueType);
  if (schema instanceof $ZodTuple) {
    const item = typeof segment === 'number' ? schema._zod.def.items[segment] : undefined;
    return item ? unwrap(item) : [];
  }
  return [];
}

/** The field names the object at `path` of a value of `schema` may have, in the schema's order. */
function knownFields(schema: Schema, path: ReadonlyArray<PropertyKey>): string[] {
  let schemas = unwrap(schema);
  for (const segment of path) schemas = schemas.flatMap((candidate) => child(candidate, segment));
  const names = schemas.flatMap((candidate) => (candidate instanceof $ZodObject ? Object.keys(candidate._zod.def.shape) : []));
  return [...new Set(names)];
}

function unknownField(key: string, path: ReadonlyArray<PropertyKey>, schema: Schema | undefined): string {
  const meant = schema ? closestName(key, knownFields(schema, path)) : undefined;
  return `${issuePath([...path, key])}: unknown field${meant === undefined ? '' : `; did you mean "${meant}"?`}`;
}

/** One line per problem; pass the schema that failed for "did you mean" on unknown fields. */
export function issueLines(error: z.ZodError, schema?: Schema): string[] {
  return error.issues.flatMap((issue) => {
    // An unknown key is named as a field of its own, so the line points at it.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => unknownField(key, issue.path, schema));
    const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
    return [`${issuePath(issue.path)}: ${missing ? `required (${issue.expected})` : issue.message}`];
  });
}

export function formatIssues(error: z.ZodError, schema?: Schema): string {
  return issueLines(error, schema).join('; ');
}
