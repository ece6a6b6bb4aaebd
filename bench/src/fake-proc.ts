import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];

/** For tests: a /proc-like directory holding what is given (`stat`, `<pid>/stat`, `<pid>/cmdline`). */
export function fakeProc(
  machineStat: string,
  processes: Readonly<Record<string, { stat: string; cmdline: string }>>,
): string {
  const root = mkdtempSync(join(tmpdir(), "bench-proc-"));
  made.push(root);
  writeFileSync(join(root, "stat"), machineStat);
  for (const [pid, files] of Object.entries(processes)) {
    mkdirSync(join(root, pid));
    writeFileSync(join(root, pid, "stat"), files.stat);
    writeFileSync(join(root, pid, "cmdline"), files.cmdline);
  }
  return root;
}

export function removeFakeProcs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
