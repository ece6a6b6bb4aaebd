import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const biomeBin = createRequire(import.meta.url).resolve("@biomejs/biome/bin/biome");

/**
 * Formats generated text with the repository's Biome settings, so generated files pass `biome check`
 * like hand-written ones and the drift check compares exactly what is committed.
 */
export function formatWithBiome(text: string, pathForSettings: string): string {
  const result = spawnSync(process.execPath, [biomeBin, "format", `--stdin-file-path=${pathForSettings}`], {
    input: text,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`biome could not format ${pathForSettings}: ${result.stderr || result.stdout}`);
  }
  return result.stdout;
}
