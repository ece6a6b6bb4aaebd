import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { consoleRoot, defaultDistDir } from "./server.js";

/** What the build is made from: a change to any of these makes the build stale. */
const SOURCES = [
  join(consoleRoot, "src", "app"),
  join(consoleRoot, "vite.config.ts"),
  join(consoleRoot, "package.json"),
];

function newestChange(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce(
    (newest, entry) => Math.max(newest, newestChange(join(path, entry))),
    stat.mtimeMs,
  );
}

/** Why the console must be built before it is served, or undefined when its build is current. */
export function staleBuild(distDir: string = defaultDistDir): string | undefined {
  const index = join(distDir, "index.html");
  if (!existsSync(index)) return "it was never built";
  const built = statSync(index).mtimeMs;
  return SOURCES.some((source) => existsSync(source) && newestChange(source) > built)
    ? "its sources changed since its build"
    : undefined;
}

/** Runs `vite build` in the console's workspace; rejects with the end of its output on failure. */
export function buildConsole(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["--no-install", "vite", "build", "--logLevel", "warn"], {
      cwd: consoleRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`vite build exited with ${code}:\n${output.slice(-2000)}`)),
    );
  });
}

/** Builds the console when its build is missing or older than its sources; says whether it did. */
export async function ensureConsoleBuilt(): Promise<"built" | "current"> {
  if (staleBuild() === undefined) return "current";
  await buildConsole();
  return "built";
}
