import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { type ServiceName, type ServiceProcess, settings, startService } from "@stocksaga/deploy/stack";
import { inject } from "vitest";
import { ApiClient } from "./api.js";

export async function freePort(): Promise<number> {
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

export type ServiceEnv = Partial<Record<ServiceName, Record<string, string>>>;

/** Both services as real processes against the real stack, restartable with other settings. */
export class TestSystem {
  readonly running = new Map<ServiceName, ServiceProcess>();
  private readonly ports = new Map<ServiceName, number>();
  private readonly logDir = join(settings.stackDir, "test-logs");

  private constructor(private readonly env: ServiceEnv) {
    mkdirSync(this.logDir, { recursive: true });
  }

  /** Both services, or neither: when one fails to start, the other is stopped before the failure is rethrown. */
  static async start(env: ServiceEnv = {}): Promise<TestSystem> {
    const system = new TestSystem(env);
    const started = await Promise.allSettled([
      system.startService("inventory"),
      system.startService("order"),
    ]);
    const failures = started.flatMap((result) => (result.status === "rejected" ? [result.reason] : []));
    if (failures.length === 0) return system;
    try {
      await system.stop();
    } catch (stopFailure) {
      throw new AggregateError([...failures, stopFailure], "the system failed to start, then to stop");
    }
    throw failures[0];
  }

  async startService(name: ServiceName, extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
    const port = this.ports.get(name) ?? (await freePort());
    this.ports.set(name, port);
    const service = await startService(settings, name, {
      port,
      logFile: join(this.logDir, `${name}.log`),
      env: {
        AUTH_JWT_SECRET: inject("jwtSecret"),
        LOG_LEVEL: "info",
        ORDER_SWEEP_INTERVAL_MS: "200",
        RESERVATION_SWEEP_INTERVAL_MS: "200",
        ...this.env[name],
        ...extraEnv,
      },
    });
    this.running.set(name, service);
    return service;
  }

  async stopService(name: ServiceName): Promise<number | null> {
    const service = this.running.get(name);
    this.running.delete(name);
    return service ? service.stop() : null;
  }

  url(name: ServiceName): string {
    const port = this.ports.get(name);
    if (port === undefined) throw new Error(`${name} was never started`);
    return `http://127.0.0.1:${port}`;
  }

  client(customerId: string, options: { admin?: boolean } = {}): ApiClient {
    return new ApiClient(
      this.url("order"),
      this.url("inventory"),
      inject("jwtSecret"),
      customerId,
      options.admin ?? false,
    );
  }

  async stop(): Promise<void> {
    await Promise.all([...this.running.keys()].map((name) => this.stopService(name)));
  }
}
