import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type ServiceName, type ServiceProcess, type Settings, startService } from "@stocksaga/deploy/stack";

export type Log = (line: string) => void;

export interface UnexpectedExit {
  instance: string;
  code: number | null;
  at: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One process of a service; keeps its port across restarts, so a client knows where it lives. */
export class Instance {
  process: ServiceProcess | undefined;
  /** Up: answering and routable. Starting: being (re)started. Down: killed or stopped, not yet restarting. */
  state: "up" | "starting" | "down" = "down";
  duplicatePublish = false;
  starts = 0;
  private expectedExit = false;

  constructor(
    readonly service: ServiceName,
    readonly index: number,
    readonly port: number,
    readonly logFile: string,
  ) {}

  get name(): string {
    return `${this.service}#${this.index}`;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The harness is about to end this process: its exit is not a crash. */
  expectExit(): void {
    this.expectedExit = true;
  }

  takeExpectedExit(): boolean {
    const expected = this.expectedExit;
    this.expectedExit = false;
    return expected;
  }
}

export interface FleetOptions {
  settings: Settings;
  logDir: string;
  env: Record<ServiceName, Record<string, string>>;
  instancesPerService: number;
  log: Log;
  readyTimeoutMs: number;
}

/**
 * Two (or more) instances of each service in one consumer group, as real processes. The fleet is
 * their supervisor: an instance that exits without being told to is recorded and started again,
 * as a process manager would.
 */
export class Fleet {
  readonly instances: Instance[] = [];
  readonly unexpectedExits: UnexpectedExit[] = [];
  /** What instances started from now on get in `STOCKSAGA_FAULT_DUPLICATE_PUBLISH`. */
  duplicatePublish = false;
  duplicateStarts = 0;
  private closing = false;
  private readonly restarts = new Set<Promise<void>>();

  private constructor(private readonly options: FleetOptions) {
    mkdirSync(options.logDir, { recursive: true });
  }

  static async create(options: FleetOptions): Promise<Fleet> {
    const fleet = new Fleet(options);
    for (const service of ["inventory", "order"] as const) {
      for (let index = 0; index < options.instancesPerService; index++) {
        fleet.instances.push(
          new Instance(service, index, await freePort(), join(options.logDir, `${service}-${index}.log`)),
        );
      }
    }
    return fleet;
  }

  of(service: ServiceName): Instance[] {
    return this.instances.filter((instance) => instance.service === service);
  }

  /** Starts every instance at once; the load starts when all are ready. */
  async startAll(): Promise<void> {
    await Promise.all(this.instances.map((instance) => this.start(instance)));
  }

  /** Starts an instance and waits until it is ready; retries until it is (a broker may be down meanwhile). */
  async start(instance: Instance): Promise<void> {
    instance.state = "starting";
    for (let attempt = 1; !this.closing; attempt++) {
      const duplicate = this.duplicatePublish;
      try {
        const process = await startService(this.options.settings, instance.service, {
          port: instance.port,
          logFile: instance.logFile,
          readyTimeoutMs: this.options.readyTimeoutMs,
          env: {
            ...this.options.env[instance.service],
            STOCKSAGA_FAULT_DUPLICATE_PUBLISH: String(duplicate),
          },
        });
        instance.process = process;
        instance.duplicatePublish = duplicate;
        instance.starts++;
        if (duplicate) this.duplicateStarts++;
        instance.state = "up";
        void process.exited.then((code) => this.exited(instance, process, code));
        if (this.closing) await this.stop(instance);
        return;
      } catch (error) {
        this.options.log(
          `${instance.name}: start attempt ${attempt} failed (${error instanceof Error ? error.message : String(error)}); retrying`,
        );
        await sleep(Math.min(5_000, 500 * attempt));
      }
    }
  }

  /** SIGKILL: a crash. The instance is restarted in the background (see `settled`); resolves once it is dead. */
  async kill(instance: Instance): Promise<void> {
    const process = instance.process;
    if (!process || instance.state !== "up") throw new Error(`${instance.name} is not up`);
    instance.expectExit();
    await process.kill();
    instance.state = "down";
    void this.track(this.start(instance));
  }

  /** SIGTERM and wait for the graceful exit, then start again (with the fleet's current settings). */
  async restartGracefully(instance: Instance): Promise<void> {
    await this.stop(instance);
    await this.start(instance);
  }

  async stop(instance: Instance): Promise<number | null> {
    const process = instance.process;
    if (!process) return null;
    instance.expectExit();
    instance.state = "down";
    const code = await process.stop();
    instance.process = undefined;
    return code;
  }

  /** Resolves when no instance is starting. */
  async settled(): Promise<void> {
    while (this.restarts.size > 0) await Promise.all([...this.restarts]);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.restarts]);
    await Promise.all(this.instances.map((instance) => this.stop(instance)));
  }

  private track(restart: Promise<void>): Promise<void> {
    this.restarts.add(restart);
    void restart.finally(() => this.restarts.delete(restart));
    return restart;
  }

  private exited(instance: Instance, process: ServiceProcess, code: number | null): void {
    if (instance.process !== process) return;
    if (instance.takeExpectedExit()) return;
    instance.process = undefined;
    instance.state = "down";
    this.unexpectedExits.push({ instance: instance.name, code, at: Date.now() });
    this.options.log(
      `${instance.name}: exited on its own (code ${code}); restarting it, as a supervisor would`,
    );
    if (!this.closing) void this.track(this.start(instance));
  }
}
