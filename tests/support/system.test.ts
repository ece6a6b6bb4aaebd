import type { ServiceName, ServiceProcess } from "@stocksaga/deploy/stack";
import { startService } from "@stocksaga/deploy/stack";
import { describe, expect, it, vi } from "vitest";
import { TestSystem } from "./system.js";

vi.mock("@stocksaga/deploy/stack", async () => {
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  return { settings: { stackDir: join(tmpdir(), "stocksaga-system-test") }, startService: vi.fn() };
});

function running(name: ServiceName): ServiceProcess & { stop: ReturnType<typeof vi.fn> } {
  return {
    name,
    url: `http://127.0.0.1/${name}`,
    pid: 0,
    stop: vi.fn(async () => 0),
    kill: async () => undefined,
    exited: new Promise(() => undefined),
  };
}

describe("TestSystem.start", () => {
  it("stops the service that started when the other fails, then rethrows the failure", async () => {
    const inventory = running("inventory");
    const refused = new Error("order service did not become ready");
    let orderFailed: () => void = () => undefined;
    const afterOrderFailed = new Promise<void>((resolve) => {
      orderFailed = resolve;
    });
    vi.mocked(startService).mockImplementation(async (_settings, name) => {
      if (name === "order") {
        orderFailed();
        throw refused;
      }
      // The inventory comes up after the order service has already failed.
      await afterOrderFailed;
      return inventory;
    });

    await expect(TestSystem.start()).rejects.toBe(refused);
    expect(inventory.stop).toHaveBeenCalledTimes(1);
  });

  it("starts both services", async () => {
    const services = { inventory: running("inventory"), order: running("order") };
    vi.mocked(startService).mockImplementation(async (_settings, name) => services[name]);

    const system = await TestSystem.start();
    expect([...system.running.keys()].sort()).toEqual(["inventory", "order"]);
    expect(services.inventory.stop).not.toHaveBeenCalled();
    expect(services.order.stop).not.toHaveBeenCalled();
  });
});
