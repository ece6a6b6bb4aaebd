import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { settings } from "@stocksaga/deploy/stack";
import { issueToken } from "@stocksaga/platform";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { eventually } from "../support/api.js";
import { sendRaw } from "../support/raw-http.js";
import { TestSystem } from "../support/system.js";
import { refusedTokens } from "../support/tokens.js";

/** Where TestSystem writes each service's output (stdout: the JSON logs, and stderr). */
const logFile = (service: "order" | "inventory") => join(settings.stackDir, "test-logs", `${service}.log`);

function logSince(service: "order" | "inventory", offset: number): string {
  return readFileSync(logFile(service)).subarray(offset).toString("utf8");
}

/** docs/security.md, "No secrets in logs". */
describe("secrets stay out of logs and error messages", () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await TestSystem.start();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it("logs no bearer token, valid or not, whatever route or outcome, and never the signing secret", async () => {
    const secret = inject("jwtSecret");
    const offsets = {
      order: statSync(logFile("order")).size,
      inventory: statSync(logFile("inventory")).size,
    };
    const valid = await issueToken(secret, { sub: `logs-${randomUUID()}`, roles: ["admin"] });
    const tokens = [valid, ...Object.values(refusedTokens(secret))];
    const requests = [
      ["order", "GET", "/orders"],
      ["order", "POST", "/orders"],
      ["order", "GET", `/orders/${randomUUID()}`],
      ["order", "GET", `/orders?cursor=${valid}`],
      ["inventory", "POST", "/products"],
      ["inventory", "GET", `/reservations?orderId=${randomUUID()}&token=${valid}`],
    ] as const;
    const lastIds = { order: "", inventory: "" };
    for (const token of tokens) {
      for (const [service, method, path] of requests) {
        const requestId = `logs-${randomUUID()}`;
        lastIds[service] = requestId;
        await sendRaw(system.url(service), {
          method,
          path,
          headers: {
            authorization: `Bearer ${token}`,
            "x-request-id": requestId,
            "content-type": "application/json",
            cookie: `session=${token}`,
          },
          ...(method === "POST" ? { body: JSON.stringify({ token, items: [] }) } : {}),
        });
      }
    }
    for (const service of ["order", "inventory"] as const) {
      // The access log line of the last request shows the log has caught up.
      const log = await eventually(`${service} log to show ${lastIds[service]}`, async () => {
        const text = logSince(service, offsets[service]);
        return text.includes(lastIds[service]) ? text : undefined;
      });
      expect(log).toContain('"msg":"request"');
      for (const token of tokens) {
        const signature = token.split(".")[2] as string;
        expect(log, `${service} logged a token`).not.toContain(token);
        if (signature.length > 10) expect(log, `${service} logged a signature`).not.toContain(signature);
      }
      expect(readFileSync(logFile(service), "utf8")).not.toContain(secret);
    }
  });

  it("names a bad setting on start-up, never its value", async () => {
    const values = {
      AUTH_JWT_SECRET: "short-SENSITIVE-secret",
      DATABASE_POOL_SIZE: "SENSITIVE-pool",
      ORDER_DATABASE_URL: "SENSITIVE-url",
      INVENTORY_DATABASE_URL: "SENSITIVE-url",
      LOG_LEVEL: "SENSITIVE-level",
    };
    for (const service of ["order", "inventory"] as const) {
      const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", "src/main.ts"], {
        cwd: join(settings.repoRoot, "services", service),
        env: { ...process.env, ...values },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      const [code] = await once(child, "exit");
      expect(code, output).toBe(2);
      for (const name of ["AUTH_JWT_SECRET", "DATABASE_POOL_SIZE", "LOG_LEVEL"])
        expect(output).toContain(name);
      expect(output).toContain(service === "order" ? "ORDER_DATABASE_URL" : "INVENTORY_DATABASE_URL");
      expect(output).not.toContain("SENSITIVE");
    }
  });
});
