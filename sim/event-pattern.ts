/**
 * EventBridge event-pattern matching, for the patterns Baton's rules use:
 * every field of the pattern must match; an array lists the values a field
 * may have (a field whose value is an array matches when any element does);
 * an object matches the event's object field by field
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html).
 * Content filters ({ "prefix": … }, { "anything-but": … }, …) are not modelled:
 * a pattern with one is refused rather than matched wrongly.
 */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const fields = event as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = fields[key];
    if (Array.isArray(expected)) {
      if (expected.some((value) => typeof value === 'object' && value !== null)) {
        throw new Error(`event pattern field "${key}": content filters are not modelled by the simulation (${JSON.stringify(expected)})`);
      }
      const values = Array.isArray(actual) ? actual : [actual];
      return values.some((value) => expected.includes(value));
    }
    if (typeof expected === 'object' && expected !== null) return matchesPattern(expected as Record<string, unknown>, actual);
    throw new Error(`event pattern field "${key}" must be an array or an object, not ${JSON.stringify(expected)}`);
  });
}
