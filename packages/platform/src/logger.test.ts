import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const LOGGER = fileURLToPath(new URL("./logger.ts", import.meta.url));

/** Runs `body` in a node process that has `logger` (info, the default destination); its stdout. */
async function stdoutOf(body: string): Promise<{ code: number | null; lines: string[] }> {
  const script = `import { pino } from "pino";
import { createLogger } from ${JSON.stringify(LOGGER)};
const logger = createLogger("test-service", "info");
${body}`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const chunks: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  return { code, lines: Buffer.concat(chunks).toString().split("\n").filter(Boolean) };
}

// Each test starts a node process with tsx: seconds on a busy machine.
describe("the default log destination", { timeout: 60_000 }, () => {
  it("is asynchronous, yet loses no line when the process exits right after logging", async () => {
    // 20,000 lines (~2 MB) outrun any pipe: most are still buffered when exit is called.
    const { code, lines } = await stdoutOf(`
let returned = 0;
for (let i = 0; i < 20000; i++) { logger.info({ i }, "line"); returned++; }
logger.info({ returned }, "stopped");
process.exit(0);`);
    expect(code).toBe(0);
    expect(lines).toHaveLength(20_001);
    const parsed = lines.map((line) => JSON.parse(line) as { i?: number; msg: string; returned?: number });
    expect(parsed.slice(0, -1).map((line) => line.i)).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    expect(parsed.at(-1)).toMatchObject({ msg: "stopped", returned: 20_000, service: "test-service" });
  });

  it("does not block the caller: lines are still buffered when logging returns", async () => {
    const { code, lines } = await stdoutOf(`
for (let i = 0; i < 20000; i++) logger.info({ i }, "line");
const pending = logger[pino.symbols.streamSym]._len;
logger.info({ pending }, "measured");
process.exit(0);`);
    expect(code).toBe(0);
    const measured = JSON.parse(lines.at(-1) ?? "{}") as { msg?: string; pending?: number };
    expect(measured.msg).toBe("measured");
    expect(measured.pending).toBeGreaterThan(0);
  });
});
