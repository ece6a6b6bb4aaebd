/**
 * A pure domain: `decide` turns a command and the current state into events (or throws a domain
 * error), `evolve` folds an event into the state, `initialState` is the state before any event.
 * No clock, environment or network: time and lookups arrive in the command.
 */
export interface Decider<State, Command, Event> {
  decide(command: Command, state: State): readonly Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}
