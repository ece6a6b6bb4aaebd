import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Settings } from "./settings.js";

/**
 * The JWT secret for a local run: AUTH_JWT_SECRET when set, otherwise a random one generated on
 * first use and kept (mode 0600) in the git-ignored stack folder, so no secret is ever committed.
 */
export function devJwtSecret(settings: Settings): { secret: string; source: string } {
  const fromEnv = process.env.AUTH_JWT_SECRET?.trim();
  if (fromEnv) return { secret: fromEnv, source: "AUTH_JWT_SECRET" };
  const file = join(settings.stackDir, "dev-jwt-secret");
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return { secret: readFileSync(file, "utf8").trim(), source: file };
}
