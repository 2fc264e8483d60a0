/** The simulated table's update expressions: list_append, alone and over if_not_exists, as DynamoDB evaluates them. */
import { describe, expect, it } from 'vitest';
import { applyUpdate } from '../../../../sim/account/dynamo-expressions.ts';

const APPEND = 'SET #list = list_append(if_not_exists(#list, :empty), :entries)';
const NAMES = { '#list': 'weightChanges' };

describe('list_append in a simulated update', () => {
  it('creates the list from if_not_exists when the item has none', () => {
    // Act
    const updated = applyUpdate({ pk: 'DEPLOYMENT#d', status: 'IN_PROGRESS' }, APPEND, NAMES, { ':empty': [], ':entries': [{ blue: 90 }] });

    // Assert
    expect(updated).toEqual({ pk: 'DEPLOYMENT#d', status: 'IN_PROGRESS', weightChanges: [{ blue: 90 }] });
  });

  it('appends after the entries already there, in order', () => {
    // Act
    const updated = applyUpdate({ weightChanges: [{ blue: 90 }] }, APPEND, NAMES, { ':empty': [], ':entries': [{ blue: 0 }] });

    // Assert
    expect(updated).toEqual({ weightChanges: [{ blue: 90 }, { blue: 0 }] });
  });

  it('sets other attributes of the same update beside it', () => {
    // Act
    const updated = applyUpdate({ n: 1 }, `${APPEND}, #n = :n`, { ...NAMES, '#n': 'n' }, { ':empty': [], ':entries': [1], ':n': 2 });

    // Assert
    expect(updated).toEqual({ n: 2, weightChanges: [1] });
  });

  it('refuses to append to an attribute that is not a list, as DynamoDB does', () => {
    // Act / Assert
    expect(() => applyUpdate({ weightChanges: 'x' }, APPEND, NAMES, { ':empty': [], ':entries': [1] })).toThrow(
      'ValidationException: An operand in the update expression has an incorrect data type',
    );
  });
});

describe('the clauses of a simulated update', () => {
  it('removes an attribute with REMOVE alone', () => {
    expect(applyUpdate({ pk: 'p', wait: { since: 't' } }, 'REMOVE #wait', { '#wait': 'wait' }, {})).toEqual({ pk: 'p' });
  });

  it('takes SET and REMOVE in either order', () => {
    const names = { ...NAMES, '#wait': 'wait' };
    const values = { ':empty': [], ':entries': [1] };
    expect(applyUpdate({ wait: 1 }, `${APPEND} REMOVE #wait`, names, values)).toEqual({ weightChanges: [1] });
    expect(applyUpdate({ wait: 1 }, `REMOVE #wait ${APPEND}`, names, values)).toEqual({ weightChanges: [1] });
  });

  it('reads a placeholder named like a keyword as a placeholder', () => {
    expect(applyUpdate({}, 'SET #remove = :set', { '#remove': 'remove' }, { ':set': 1 })).toEqual({ remove: 1 });
  });

  it('refuses a clause given twice, as DynamoDB does, and the clauses it does not model', () => {
    expect(() => applyUpdate({}, 'SET #a = :a SET #b = :b', { '#a': 'a', '#b': 'b' }, { ':a': 1, ':b': 2 })).toThrow(
      'ValidationException: Invalid UpdateExpression: The "SET" section can only be used once in an update expression;',
    );
    expect(() => applyUpdate({}, 'ADD #n :one', { '#n': 'n' }, { ':one': 1 })).toThrow('unsupported update expression: ADD #n :one');
  });
});
