import { stopChild, type Child } from "./children.ts";

/** Thrown by a step of the start once the stop has begun: the start ends there, quietly. */
export class StopRequested extends Error {
  constructor() {
    super("the start is stopping");
  }
}

interface Server {
  stop(): Promise<void>;
}

/**
 * What the start runs, and its stop: the services first (the newest first), then the servers
 * they use (Redis, then PostgreSQL). A server counts from the moment its start begins, not from
 * when it is ready: the embedded PostgreSQL runs in a process group of its own, so a Ctrl-C does
 * not reach it, and a stop that ignored a server still starting would leave it running after the
 * start exited. Such a server's start is waited for, then the server is stopped.
 */
export class Stopper {
  private readonly children: Child[] = [];
  private readonly servers: Array<Promise<Server | null>> = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly warn: (what: string, err: unknown) => void = () => {}) {}

  get isStopping(): boolean {
    return this.stopping !== null;
  }

  /** Throws `StopRequested` once the stop has begun: what the start checks before each step. */
  check(): void {
    if (this.stopping) throw new StopRequested();
  }

  /** Starts a server (unless the stop has begun) and registers it for the stop at once. */
  server<T extends Server>(start: () => Promise<T>): Promise<T> {
    this.check();
    const starting = start();
    this.servers.push(starting.catch(() => null));
    return starting;
  }

  /** Starts a service (unless the stop has begun) and registers it for the stop. */
  child(start: () => Child): Child {
    this.check();
    const child = start();
    this.children.push(child);
    return child;
  }

  /** Stops everything registered; every call returns the one stop. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const child of [...this.children].reverse()) await stopChild(child);
      for (const starting of [...this.servers].reverse()) {
        const server = await starting;
        await server?.stop().catch((err: unknown) => this.warn("a server did not stop cleanly", err));
      }
    })();
    return this.stopping;
  }
}

/**
 * SIGINT and SIGTERM (a Ctrl-C reaches every process of the terminal's group, and an impatient user
 * presses it again) run `onStop` once; a signal during the stop does not end the process halfway,
 * which would leave PostgreSQL behind: after the first second it says the stop is under way.
 */
export function stopOnSignals(onStop: () => void, say: (line: string) => void): void {
  let first = 0;
  const onSignal = () => {
    if (first === 0) {
      first = Date.now();
      onStop();
    } else if (Date.now() - first > 1000) {
      say("still stopping: the services, then Redis and PostgreSQL (a fast shutdown); it ends with \"stopped\"");
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
