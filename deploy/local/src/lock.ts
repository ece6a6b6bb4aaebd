import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

function holderAlive(lockDir: string): boolean {
  try {
    const pid = Number(readFileSync(join(lockDir, "owner"), "utf8"));
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Serialises stack commands across processes (a test run and a shell may both call `up`):
 * mkdir is atomic, and a lock whose owner died is taken over.
 */
export async function withStackLock<T>(
  lockDir: string,
  timeoutMs: number,
  body: () => Promise<T>,
): Promise<T> {
  mkdirSync(dirname(lockDir), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, "owner"), String(process.pid));
      break;
    } catch {
      if (!holderAlive(lockDir)) {
        await sleep(100);
        if (!holderAlive(lockDir)) rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another stack command holds ${lockDir}`);
      await sleep(250);
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
