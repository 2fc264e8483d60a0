/**
 * The subset of DynamoDB condition and update expressions the handlers use:
 * OR/AND of attribute_exists, attribute_not_exists and comparisons, and
 * `SET a = :v, ...`. Anything else throws, so a handler that starts using
 * more of the language fails loudly in the simulation instead of passing.
 */

type Names = Record<string, string> | undefined;
type Values = Record<string, unknown> | undefined;
type Item = Record<string, unknown>;

function name(token: string, names: Names): string {
  const trimmed = token.trim();
  if (trimmed.startsWith('#')) {
    const resolved = names?.[trimmed];
    if (!resolved) throw new Error(`expression attribute name ${trimmed} is not defined`);
    return resolved;
  }
  return trimmed;
}

function operand(token: string, item: Item | undefined, names: Names, values: Values): unknown {
  const trimmed = token.trim();
  if (trimmed.startsWith(':')) {
    if (!values || !(trimmed in values)) throw new Error(`expression attribute value ${trimmed} is not defined`);
    return values[trimmed];
  }
  return item?.[name(trimmed, names)];
}

function comparison(clause: string, item: Item | undefined, names: Names, values: Values): boolean {
  const fn = /^(attribute_exists|attribute_not_exists)\(\s*([#\w]+)\s*\)$/.exec(clause);
  if (fn) {
    const present = item !== undefined && item[name(fn[2] ?? '', names)] !== undefined;
    return fn[1] === 'attribute_exists' ? present : !present;
  }
  const match = /^([#:\w]+)\s*(<>|<=|>=|=|<|>)\s*([#:\w]+)$/.exec(clause);
  if (!match) throw new Error(`unsupported condition clause: ${clause}`);
  const left = operand(match[1] ?? '', item, names, values);
  const right = operand(match[3] ?? '', item, names, values);
  if (left === undefined || right === undefined) return match[2] === '<>' ? left !== right : false;
  switch (match[2]) {
    case '=':
      return left === right;
    case '<>':
      return left !== right;
    case '<':
      return (left as number) < (right as number);
    case '<=':
      return (left as number) <= (right as number);
    case '>':
      return (left as number) > (right as number);
    default:
      return (left as number) >= (right as number);
  }
}

export function evaluateCondition(expression: string, item: Item | undefined, names: Names, values: Values): boolean {
  return expression
    .split(/\s+OR\s+/)
    .some((disjunct) => disjunct.split(/\s+AND\s+/).every((clause) => comparison(clause.trim(), item, names, values)));
}

export function applyUpdate(item: Item, expression: string, names: Names, values: Values): Item {
  const match = /^SET\s+(.+)$/s.exec(expression.trim());
  if (!match) throw new Error(`unsupported update expression: ${expression}`);
  const updated = { ...item };
  for (const assignment of (match[1] ?? '').split(',')) {
    const [left, right] = assignment.split('=');
    if (!left || !right) throw new Error(`unsupported assignment: ${assignment}`);
    updated[name(left, names)] = operand(right, item, names, values);
  }
  return updated;
}
