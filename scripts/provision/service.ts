/** A throwaway server started for tests, benchmarks or a local cluster. */
export interface RunningService {
  /** How clients reach it, e.g. postgres://postgres@127.0.0.1:41234/postgres. */
  url: string;
  /** Stops it and removes its files. Synchronous and idempotent; also runs at process exit (see cleanup.ts). */
  stop(): void;
  /** Takes the server down, keeping its data (outage tests); where supported. */
  pause?(): Promise<void>;
  /** Brings a paused server back on the same address. */
  resume?(): Promise<void>;
}
