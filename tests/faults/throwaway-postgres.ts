import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const BIN = process.env.STOCKSAGA_POSTGRES_BIN ?? "/usr/lib/postgresql/15/bin";

/**
 * A PostgreSQL cluster of the fault run's own, made with initdb in a temporary folder and run on
 * `port`: the harness may restart it under load without touching the machine's shared server.
 * initdb refuses to run as root, so as root it runs as the `postgres` user.
 */
export class ThrowawayPostgres {
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly asUser: string[],
  ) {}

  static async start(port: number, log: (line: string) => void): Promise<ThrowawayPostgres> {
    if (!existsSync(join(BIN, "initdb")))
      throw new Error(`no initdb in ${BIN}; set STOCKSAGA_POSTGRES_BIN to PostgreSQL's bin folder`);
    const dir = mkdtempSync(join(tmpdir(), "stocksaga-faults-pg-"));
    const asUser = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
    if (asUser.length > 0) {
      const owner = statSync("/var/lib/postgresql");
      chownSync(dir, owner.uid, owner.gid);
    }
    const cluster = new ThrowawayPostgres(port, dir, asUser);
    await cluster.exec("initdb", ["-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync"]);
    await cluster.pgCtl("start");
    log(`postgres: throwaway cluster on 127.0.0.1:${port} in ${dir}`);
    return cluster;
  }

  url(database: string): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** `pg_ctl restart -m fast`: every connection is cut, the server is back once it accepts them. */
  async restart(): Promise<void> {
    await this.pgCtl("restart");
  }

  async stop(): Promise<void> {
    await this.pgCtl("stop").catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async pgCtl(action: "start" | "restart" | "stop"): Promise<void> {
    const options = [
      `-p ${this.port}`,
      "-c listen_addresses=127.0.0.1",
      `-c unix_socket_directories=${this.dir}`,
      "-c max_connections=100",
      // A run's data is thrown away: no need to wait for the disk of a shared machine.
      "-c fsync=off",
      "-c synchronous_commit=off",
      "-c full_page_writes=off",
    ].join(" ");
    const args = ["-D", join(this.dir, "data"), "-l", join(this.dir, "postgres.log"), "-w", "-t", "60"];
    if (action !== "start") args.push("-m", "fast");
    if (action !== "stop") args.push("-o", options);
    await this.exec("pg_ctl", [action, ...args]);
  }

  private async exec(tool: string, args: string[]): Promise<void> {
    const [command, ...rest] = [...this.asUser, join(BIN, tool), ...args];
    await run(command as string, rest, { timeout: 120_000 });
  }
}
