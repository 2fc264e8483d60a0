/**
 * Reading the synthesized state machine definition (stateMachineDefinition in
 * test/support/synth.ts): a state by name, the rules of a Choice, every Task
 * including those inside Map item processors.
 */
import type { AslDefinition, AslState } from './synth.ts';

/** A rule of a Choice state as the definition has it (synth.ts types only its Next). */
export interface ChoiceRule {
  readonly Variable: string;
  readonly BooleanEquals?: boolean;
  readonly IsPresent?: boolean;
  readonly Next: string;
}

/** The state of that name; throws when there is none. */
export function stateOf(definition: Pick<AslDefinition, 'States'>, name: string): AslState {
  const found = definition.States[name];
  if (!found) throw new Error(`no state named "${name}"`);
  return found;
}

export function choicesOf(state: AslState): ChoiceRule[] {
  return (state.Choices ?? []) as ChoiceRule[];
}

/** Every Task of the states, those inside Map item processors included. */
export function tasksOf(states: Record<string, AslState>): Array<[string, AslState]> {
  return Object.entries(states).flatMap(
    ([name, state]): Array<[string, AslState]> => [
      ...(state.Type === 'Task' ? [[name, state] as [string, AslState]] : []),
      ...(state.ItemProcessor ? tasksOf(state.ItemProcessor.States) : []),
    ],
  );
}
