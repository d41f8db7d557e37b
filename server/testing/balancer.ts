import net from "node:net";

/**
 * A TCP load balancer on 127.0.0.1 for tests of several server processes:
 * what nginx or a cloud balancer does, minus the HTTP. Each listener takes
 * client connections and hands each one to a backend port, piping bytes both
 * ways; a backend that refuses the connection (a killed process, one still
 * restarting) is skipped for the next. Since it works on TCP, WebSocket, SSE
 * and long-polls pass unchanged, and the Host and Origin a browser sends name
 * the listener, which the server checks against each other (http/origin.ts).
 *
 *   const lb = new Balancer([p1.port, p2.port]);
 *   const a = await lb.listen({ prefer: [0, 1] });  // process 1, else 2
 *   const b = await lb.listen({ prefer: [1, 0] });  // process 2, else 1
 *   const r = await lb.listen();                    // round robin
 *   a.cut();                                         // a network drop
 *   r.failRequests(/^\/api\/poll\b/);               // answer 502 for a while
 *   a.stall();                                       // answers held back
 *
 * With `prefer`, every new connection tries the backends in that order (so a
 * browser stays on "its" process, and moves when that one is gone); without
 * it, new connections go round robin, starting one further each time.
 */
export interface ListenOptions {
  /** Backend indexes to try in this order; default: round robin over all. */
  prefer?: readonly number[];
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
  backend: number;
  /** Bytes from the backend kept back while the listener is stalled. */
  held: Buffer[] | null;
}

const BAD_GATEWAY = "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: 11\r\nconnection: close\r\n\r\nBad Gateway";
const REQUEST_LINE = /^[A-Z]+ (\S+) HTTP\/1\.[01]\r\n/;

export class Listener {
  private server: net.Server | null = null;
  private readonly pairs = new Set<Pair>();
  private next = 0;
  private failing: RegExp | null = null;
  private stalled = false;
  private accepted = 0;
  /** Connections handed to each backend so far. */
  readonly handed: number[];
  /** Requests answered 502 by `failRequests`. */
  failed = 0;
  port = 0;

  constructor(
    private readonly backends: readonly number[],
    private readonly opts: ListenOptions,
  ) {
    this.handed = backends.map(() => 0);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Connections accepted so far (each client TCP connection once). */
  get connections(): number {
    return this.accepted;
  }

  /** Live connections per backend index right now. */
  live(): number[] {
    const counts = this.backends.map(() => 0);
    for (const pair of this.pairs) if (pair.upstream) counts[pair.backend]!++;
    return counts;
  }

  async start(): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /**
   * Drops every live connection through this listener (both sides, at once:
   * what a network drop or a balancer restart does); `backend` limits it to
   * the connections handed to that backend. Returns how many.
   */
  cut(backend?: number): number {
    let n = 0;
    for (const pair of [...this.pairs]) {
      if (backend !== undefined && pair.backend !== backend) continue;
      this.drop(pair);
      n++;
    }
    return n;
  }

  /**
   * While set, an HTTP request whose path matches is answered `502 Bad
   * Gateway` by the balancer and its connection closed, as a proxy does
   * when its upstream fails; null stops it. Requests are recognised by a
   * request line at the start of a chunk from the client, which is how
   * browsers write them (one request at a time per connection).
   */
  failRequests(path: RegExp | null): void {
    this.failing = path;
  }

  /**
   * Stops passing bytes from the backends to the clients (a congested or
   * dying link): requests still arrive, answers are kept back. `resume`
   * delivers them; if the backend goes first, they are lost with the
   * connection, as answers in transit are when a process dies.
   */
  stall(): void {
    this.stalled = true;
    for (const pair of this.pairs) pair.held ??= [];
  }

  resume(): void {
    this.stalled = false;
    for (const pair of this.pairs) {
      const held = pair.held ?? [];
      pair.held = null;
      for (const chunk of held) pair.client.write(chunk);
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.cut();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The order of backends a new connection tries. */
  private order(): number[] {
    if (this.opts.prefer) return [...this.opts.prefer];
    const n = this.backends.length;
    const first = this.next++ % n;
    return Array.from({ length: n }, (_, i) => (first + i) % n);
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    const pair: Pair = { client, upstream: null, backend: -1, held: this.stalled ? [] : null };
    this.pairs.add(pair);
    const pending: Buffer[] = [];
    client.setNoDelay(true);
    client.on("error", () => this.drop(pair));
    client.on("close", () => this.drop(pair));
    client.on("end", () => pair.upstream?.end());
    client.on("data", (chunk: Buffer) => {
      if (this.refused(pair, chunk)) return;
      if (!pair.upstream?.writable || pending.length > 0) {
        pending.push(chunk);
        return;
      }
      if (!pair.upstream.write(chunk)) {
        client.pause();
        pair.upstream.once("drain", () => client.resume());
      }
    });
    this.connect(pair, this.order(), pending);
  }

  /** Tries `order` until a backend accepts; then flushes what the client sent meanwhile. */
  private connect(pair: Pair, order: number[], pending: Buffer[]): void {
    const backend = order.shift();
    if (backend === undefined || !this.pairs.has(pair)) {
      this.drop(pair);
      return;
    }
    const upstream = net.connect(this.backends[backend]!, "127.0.0.1");
    upstream.setNoDelay(true);
    let connected = false;
    upstream.once("connect", () => {
      connected = true;
      if (!this.pairs.has(pair)) {
        upstream.destroy();
        return;
      }
      pair.upstream = upstream;
      pair.backend = backend;
      this.handed[backend]!++;
      for (const chunk of pending.splice(0)) upstream.write(chunk);
      upstream.on("data", (chunk: Buffer) => {
        if (pair.held) {
          pair.held.push(chunk);
          return;
        }
        if (!pair.client.write(chunk)) {
          upstream.pause();
          pair.client.once("drain", () => upstream.resume());
        }
      });
      // The backend went (closed, reset, killed): what it sent still reaches the client, then the client is closed.
      upstream.on("close", () => {
        if (!this.pairs.has(pair)) return;
        // Stalled: what it sent never reaches the client (lost with the link).
        if (pair.held) return this.drop(pair);
        this.pairs.delete(pair);
        pair.client.end();
      });
    });
    upstream.on("error", () => {
      // Refused (or reset before connecting): the next backend. After connecting, the pair goes.
      if (connected) this.drop(pair);
      else this.connect(pair, order, pending);
    });
  }

  /** Answers 502 for a request to a failing path; true when it did (the pair is gone). */
  private refused(pair: Pair, chunk: Buffer): boolean {
    if (!this.failing) return false;
    const path = REQUEST_LINE.exec(chunk.subarray(0, 2048).toString("latin1"))?.[1];
    if (path === undefined || !this.failing.test(path)) return false;
    this.failed++;
    this.pairs.delete(pair);
    pair.upstream?.destroy();
    pair.client.end(BAD_GATEWAY);
    return true;
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}

export class Balancer {
  private readonly listeners: Listener[] = [];

  /** `backends`: the ports of the server processes on 127.0.0.1. */
  constructor(readonly backends: readonly number[]) {}

  /** A new listener on a free 127.0.0.1 port. */
  async listen(opts: ListenOptions = {}): Promise<Listener> {
    for (const i of opts.prefer ?? []) if (this.backends[i] === undefined) throw new Error(`no backend ${i}`);
    const listener = new Listener(this.backends, opts);
    await listener.start();
    this.listeners.push(listener);
    return listener;
  }

  /** Drops every live connection on every listener (to `backend` only, if given); returns how many. */
  cut(backend?: number): number {
    return this.listeners.reduce((n, l) => n + l.cut(backend), 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.listeners.splice(0).map((l) => l.stop()));
  }
}
