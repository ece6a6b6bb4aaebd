import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { consoleApp, contentSecurityPolicy } from "./server.js";

function builtConsole(): string {
  const dist = mkdtempSync(join(tmpdir(), "console-dist-"));
  mkdirSync(join(dist, "assets"));
  writeFileSync(join(dist, "index.html"), '<!doctype html><div id="root"></div>');
  writeFileSync(join(dist, "assets", "index-abc.js"), "console.log(1)");
  return dist;
}

const services = {
  orderServiceUrl: "http://orders.example:8001/",
  inventoryServiceUrl: "http://stock.example:8002",
};

describe("the console server", () => {
  it("serves the page and its assets under a CSP that reaches the two services only", async () => {
    const app = consoleApp({ ...services, distDir: builtConsole() });
    const page = await app.request("/");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("connect-src 'self' http://orders.example:8001 http://stock.example:8002;");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("default-src 'none'");
    const asset = await app.request("/assets/index-abc.js");
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect(asset.headers.get("content-security-policy")).toBe(csp);
    expect((await app.request("/nothing-here.js")).status).toBe(404);
  });

  it("gives the page the service URLs in /config.json, never cached", async () => {
    const app = consoleApp({ ...services, distDir: builtConsole() });
    const config = await app.request("/config.json");
    expect(config.headers.get("cache-control")).toBe("no-store");
    expect(await config.json()).toEqual({
      orderServiceUrl: "http://orders.example:8001",
      inventoryServiceUrl: "http://stock.example:8002",
    });
  });

  it("logs method, path and status, never the query", async () => {
    const lines: string[] = [];
    const app = consoleApp({ ...services, distDir: builtConsole(), log: (line) => lines.push(line) });
    await app.request("/config.json?token=secret-value");
    await app.request("/missing?x=1");
    expect(lines).toEqual(["GET /config.json 200", "GET /missing 404"]);
  });

  it("refuses to start without a build", () => {
    const empty = mkdtempSync(join(tmpdir(), "console-empty-"));
    expect(() => consoleApp({ ...services, distDir: empty })).toThrow(/not built/);
  });

  it("names one origin once when both services share it", () => {
    expect(
      contentSecurityPolicy({ orderServiceUrl: "http://a:1/x", inventoryServiceUrl: "http://a:1/y" }),
    ).toContain("connect-src 'self' http://a:1;");
  });
});
