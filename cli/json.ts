/** Reading JSON text the CLI did not write (an execution's input and output, a state's output) through a zod schema. */
import type { z } from 'zod';

/** The JSON text as the schema reads it; undefined when it is absent, not JSON or not of that shape. */
export function parseJson<T>(text: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (!text) return undefined;
  try {
    return schema.safeParse(JSON.parse(text)).data;
  } catch {
    return undefined;
  }
}
