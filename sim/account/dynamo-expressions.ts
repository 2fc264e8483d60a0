/**
 * The subset of DynamoDB condition and update expressions the handlers use:
 * OR/AND of attribute_exists, attribute_not_exists and comparisons on
 * document paths (`#a.#b`), and `SET path = operand [+|- operand], ...
 * REMOVE path, ...`, where an operand may be if_not_exists(path, operand)
 * and a value list_append(operand, operand). Anything else throws, so a handler that starts using
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
  if (!/^\w+$/.test(trimmed)) throw new Error(`unsupported attribute name: ${trimmed}`);
  return trimmed;
}

/** A document path (`#phases.#p.endedAt`) as attribute names. */
function path(token: string, names: Names): string[] {
  return token
    .trim()
    .split('.')
    .map((part) => name(part, names));
}

function read(item: Item | undefined, parts: string[]): unknown {
  let value: unknown = item;
  for (const part of parts) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Item)[part];
  }
  return value;
}

/** DynamoDB refuses to set a path whose parent map does not exist; so does this. */
function write(item: Item, parts: string[], value: unknown): void {
  const parent = read(item, parts.slice(0, -1));
  if (typeof parent !== 'object' || parent === null || Array.isArray(parent)) {
    throw new Error(`ValidationException: The document path provided in the update expression is invalid for update (${parts.join('.')})`);
  }
  (parent as Item)[parts[parts.length - 1] ?? ''] = value;
}

function remove(item: Item, parts: string[]): void {
  const parent = read(item, parts.slice(0, -1));
  if (typeof parent === 'object' && parent !== null) delete (parent as Item)[parts[parts.length - 1] ?? ''];
}

function operand(token: string, item: Item | undefined, names: Names, values: Values): unknown {
  const trimmed = token.trim();
  if (trimmed.startsWith(':')) {
    if (!values || !(trimmed in values)) throw new Error(`expression attribute value ${trimmed} is not defined`);
    return values[trimmed];
  }
  return read(item, path(trimmed, names));
}

function comparison(clause: string, item: Item | undefined, names: Names, values: Values): boolean {
  const fn = /^(attribute_exists|attribute_not_exists)\(\s*([#\w.]+)\s*\)$/.exec(clause);
  if (fn) {
    const present = read(item, path(fn[2] ?? '', names)) !== undefined;
    return fn[1] === 'attribute_exists' ? present : !present;
  }
  const match = /^([#:\w.]+)\s*(<>|<=|>=|=|<|>)\s*([#:\w.]+)$/.exec(clause);
  if (!match) throw new Error(`unsupported condition clause: ${clause}`);
  const left = operand(match[1] ?? '', item, names, values);
  const right = operand(match[3] ?? '', item, names, values);
  if (left === undefined || right === undefined) return match[2] === '<>' ? left !== right : false;
  switch (match[2]) {
    case '=':
      return JSON.stringify(left) === JSON.stringify(right);
    case '<>':
      return JSON.stringify(left) !== JSON.stringify(right);
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

/**
 * The value of a SET right-hand side: an operand, if_not_exists(path, operand), list_append of two of those
 * (lists), or two operands joined by + or - (numbers).
 */
function setValue(expression: string, item: Item, names: Names, values: Values): unknown {
  const append = /^list_append\(\s*(if_not_exists\([^()]*\)|[#:\w.]+)\s*,\s*(if_not_exists\([^()]*\)|[#:\w.]+)\s*\)$/.exec(
    expression.trim(),
  );
  if (append) {
    const first = setValue(append[1] ?? '', item, names, values);
    const second = setValue(append[2] ?? '', item, names, values);
    if (!Array.isArray(first) || !Array.isArray(second)) {
      throw new Error(`ValidationException: An operand in the update expression has an incorrect data type (${expression.trim()})`);
    }
    return [...first, ...second];
  }
  const ifNotExists = /^if_not_exists\(\s*([#\w.]+)\s*,\s*([#:\w.]+)\s*\)$/.exec(expression.trim());
  if (ifNotExists) {
    const current = read(item, path(ifNotExists[1] ?? '', names));
    return structuredClone(current !== undefined ? current : operand(ifNotExists[2] ?? '', item, names, values));
  }
  const arithmetic = /^([#:\w.]+)\s*([+-])\s*([#:\w.]+)$/.exec(expression.trim());
  if (!arithmetic) return structuredClone(operand(expression, item, names, values));
  const left = operand(arithmetic[1] ?? '', item, names, values);
  const right = operand(arithmetic[3] ?? '', item, names, values);
  if (typeof left !== 'number' || typeof right !== 'number') {
    throw new Error(`ValidationException: An operand in the update expression has an incorrect data type (${expression.trim()})`);
  }
  return arithmetic[2] === '+' ? left + right : left - right;
}

/**
 * The SET and REMOVE clauses of an update expression, in either order, each
 * at most once (DynamoDB Developer Guide, "Update expressions"); ADD and
 * DELETE are not modelled.
 */
function updateClauses(expression: string): { set?: string; remove?: string } {
  // A keyword starts the expression or follows a space: `#remove` or `:set` are placeholders, not clauses.
  const keywords = [...expression.matchAll(/(^|\s)(SET|REMOVE|ADD|DELETE)\s+/gi)];
  const clauses: { set?: string; remove?: string } = {};
  if (keywords.length === 0 || keywords[0]?.index !== 0) throw new Error(`unsupported update expression: ${expression}`);
  keywords.forEach((keyword, i) => {
    const name = (keyword[2] ?? '').toUpperCase();
    const body = expression.slice((keyword.index ?? 0) + keyword[0].length, keywords[i + 1]?.index ?? expression.length).trim();
    if (name !== 'SET' && name !== 'REMOVE') throw new Error(`unsupported update expression: ${expression}`);
    const key = name === 'SET' ? 'set' : 'remove';
    if (clauses[key] !== undefined)
      throw new Error(
        `ValidationException: Invalid UpdateExpression: The "${name}" section can only be used once in an update expression;`,
      );
    clauses[key] = body;
  });
  return clauses;
}

export function applyUpdate(item: Item, expression: string, names: Names, values: Values): Item {
  const clauses = updateClauses(expression.trim());
  // Every right-hand side reads the item as it was before the update, as in DynamoDB.
  const before = structuredClone(item);
  const updated = structuredClone(item);
  // Commas inside a function's parentheses (if_not_exists) do not separate assignments.
  for (const assignment of clauses.set?.split(/,(?![^()]*\))/) ?? []) {
    const [left, right] = assignment.split('=');
    if (!left || !right) throw new Error(`unsupported assignment: ${assignment}`);
    write(updated, path(left, names), setValue(right, before, names, values));
  }
  for (const target of clauses.remove?.split(',') ?? []) remove(updated, path(target, names));
  return updated;
}
