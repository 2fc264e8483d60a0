/**
 * Renders zod issues as "field.path: what is wrong" lines, the form every
 * boundary (config file, execution input, CLI) uses to name the bad field.
 */
import type { z } from 'zod';

/** Longest field name shown whole (ARNs used as keys fit): a longer one (an unknown key pasted by mistake) is cut, saying how long it was. */
const MAX_SHOWN_KEY = 256;

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

export function issueLines(error: z.ZodError, prefix = ''): string[] {
  return error.issues.flatMap((issue) => {
    const base = [...(prefix ? [prefix] : []), ...issue.path];
    // An unknown key is named as a field of its own, so the line points at it.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${issuePath([...base, key])}: unknown field`);
    const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
    return [`${issuePath(base)}: ${missing ? `required (${issue.expected})` : issue.message}`];
  });
}

export function formatIssues(error: z.ZodError, prefix = ''): string {
  return issueLines(error, prefix).join('; ');
}
