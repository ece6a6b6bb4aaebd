import assert from "node:assert/strict";
import type { Decider } from "./index.js";

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/**
 * `given(events).when(command).thenEmits(events)` or `.thenThrows(ErrorClass, fields)`. Uses
 * `node:assert` so that this file pulls no test runner into the domain.
 */
export function deciderSpec<State, Command, Event>(decider: Decider<State, Command, Event>) {
  return {
    given(history: readonly Event[]) {
      const state = history.reduce<State>(
        (current, event) => decider.evolve(current, event),
        decider.initialState(),
      );
      return {
        state,
        when(command: Command) {
          return {
            thenEmits(expected: readonly Event[]): void {
              assert.deepStrictEqual(decider.decide(command, state), expected);
            },
            thenThrows<E extends Error>(errorClass: ErrorClass<E>, expected: Partial<E> = {}): void {
              assert.throws(
                () => decider.decide(command, state),
                (error: unknown) => {
                  assert.ok(error instanceof errorClass, `expected ${errorClass.name}, got ${String(error)}`);
                  for (const [key, value] of Object.entries(expected)) {
                    assert.deepStrictEqual((error as unknown as Record<string, unknown>)[key], value, key);
                  }
                  return true;
                },
              );
            },
          };
        },
      };
    },
  };
}
