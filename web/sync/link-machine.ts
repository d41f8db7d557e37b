/**
 * A tiny finite-state machine for the transports' links (ws, sse, poll).
 *
 * States are objects tagged by `name` (they carry what the state holds: a
 * socket, a timer); the legal moves between names are one table, written
 * next to each transport's diagram so the two can be read side by side.
 * A self-transition (online → online on a repeated hello) must be listed
 * like any other.
 *
 * An illegal transition is a bug in the transport. In development and in
 * tests it throws, so the test that provokes it fails where it happens. In a
 * production build it is logged with console.error and carried out anyway:
 * the code asked for that state, and a link stuck in the old one (a timer
 * that never fires again) would hurt the person more than the odd move.
 */

/** For every state, the states it may move to. */
export type TransitionTable<N extends string> = { readonly [K in N]: readonly N[] };

export type TransitionListener<N extends string> = (from: N, to: N) => void;

export interface LinkMachineOptions<S extends { readonly name: string }> {
  /** Names the machine in messages: "ws", "sse", "poll". */
  label: string;
  initial: S;
  transitions: TransitionTable<S["name"]>;
  /** Told after every transition, self-transitions included (a debug log, tests). */
  onTransition?: TransitionListener<S["name"]> | null;
  /** Throw on an illegal transition rather than log it. Default: every build but production. */
  strict?: boolean;
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly label: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`courier: ${label} link: illegal transition ${from} → ${to}`);
    this.name = "IllegalTransitionError";
  }
}

/** Not a production build: vite sets PROD; under vitest and plain Node it is false or absent. */
const STRICT_BY_DEFAULT = import.meta.env?.PROD !== true;

export class LinkMachine<S extends { readonly name: string }> {
  private current: S;
  private readonly strict: boolean;

  constructor(private readonly opts: LinkMachineOptions<S>) {
    this.current = opts.initial;
    this.strict = opts.strict ?? STRICT_BY_DEFAULT;
  }

  get state(): S {
    return this.current;
  }

  /** Whether the table allows moving from the current state to `name`. */
  can(name: S["name"]): boolean {
    return this.opts.transitions[this.current.name as S["name"]].includes(name);
  }

  /**
   * Moves to `next` and returns the state left, so the caller can release
   * what it held (timers, a socket) unless `next` keeps it.
   */
  to(next: S): S {
    const previous = this.current;
    if (!this.can(next.name)) {
      const error = new IllegalTransitionError(this.opts.label, previous.name, next.name);
      if (this.strict) throw error;
      console.error(error.message);
    }
    this.current = next;
    this.opts.onTransition?.(previous.name, next.name);
    return previous;
  }
}
