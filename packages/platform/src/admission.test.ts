import { Writable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AdmissionControl, type BacklogSignal, decideAdmission } from "./admission.js";
import { createHttpApp, type RequestVariables } from "./http.js";
import { createLogger } from "./logger.js";

const silent = createLogger("test", "silent", new Writable({ write: (_c, _e, cb) => cb() }));

const signal = (name: string, value: number, limit: number): BacklogSignal => ({
  name,
  value,
  limit,
  unit: "orders",
});

describe("decideAdmission", () => {
  it("admits while every signal is below its limit", () => {
    expect(
      decideAdmission([signal("pending orders", 999, 1000), signal("outbox", 0, 10)], {
        baseRetryAfterSeconds: 2,
      }),
    ).toEqual({ admit: true });
  });

  it("refuses at the limit, naming the signal", () => {
    const decision = decideAdmission([signal("pending orders", 1000, 1000)], { baseRetryAfterSeconds: 2 });
    expect(decision).toEqual({
      admit: false,
      signal: "pending orders",
      reason: "pending orders is 1000 orders, at or past its limit of 1000",
      retryAfterSeconds: 2,
    });
  });

  it("names the signal furthest past its limit and asks for a longer wait the further past it is", () => {
    const decision = decideAdmission(
      [signal("outbox", 30, 20), signal("pending orders", 3000, 1000), signal("lag", 5, 100)],
      { baseRetryAfterSeconds: 2 },
    );
    expect(decision.admit).toBe(false);
    if (decision.admit) return;
    expect(decision.reason).toMatch(/^pending orders is 3000/);
    expect(decision.retryAfterSeconds).toBe(6);
  });

  it("bounds Retry-After to 1..30 s and ignores signals whose limit is off", () => {
    expect(decideAdmission([signal("a", 1e9, 1)], { baseRetryAfterSeconds: 1 })).toMatchObject({
      retryAfterSeconds: 30,
    });
    expect(decideAdmission([signal("a", 1, 1)], { baseRetryAfterSeconds: 0 })).toMatchObject({
      retryAfterSeconds: 1,
    });
    expect(decideAdmission([signal("off", 1e9, 0)], { baseRetryAfterSeconds: 1 })).toEqual({ admit: true });
  });
});

describe("AdmissionControl", () => {
  function appWith(control: AdmissionControl) {
    const app = createHttpApp<{ Variables: RequestVariables }>({ logger: silent });
    app.post("/orders", control.middleware(), (c) => c.json({ placed: true }, 202));
    return app;
  }

  it("decides on the latest sample, refusing with 503 problem+json and Retry-After", async () => {
    let pending = 10;
    const refusals: string[] = [];
    const control = new AdmissionControl({
      sample: async () => [signal("pending orders", pending, 100)],
      intervalMs: 60_000,
      baseRetryAfterSeconds: 2,
      logger: silent,
      refused: (reason) => refusals.push(reason),
    });
    await control.start();
    const app = appWith(control);

    expect((await app.request("/orders", { method: "POST" })).status).toBe(202);

    pending = 250;
    await control.refresh();
    const refused = await app.request("/orders", { method: "POST" });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.headers.get("retry-after")).toBe("5");
    const problem = (await refused.json()) as { type: string; detail: string };
    expect(problem.type).toBe("urn:stocksaga:problem:overloaded");
    expect(problem.detail).toContain("pending orders is 250 orders");
    expect(refusals).toEqual(["pending orders"]);
    await control.stop();
  });

  it("decides on live signals as they are at each request, without waiting for a sample", async () => {
    let queued = 0;
    const control = new AdmissionControl({
      sample: async () => [signal("pending orders", 1, 100)],
      live: () => [signal("placement queue", queued, 10)],
      intervalMs: 60_000,
      baseRetryAfterSeconds: 1,
      logger: silent,
    });
    await control.start();
    expect(control.decide()).toEqual({ admit: true });
    queued = 10;
    expect(control.decide()).toMatchObject({ admit: false, signal: "placement queue" });
    expect(control.latest.map((s) => s.name)).toEqual(["pending orders", "placement queue"]);
    await control.stop();
  });

  it("keeps the last sample when sampling fails, rather than refusing everything", async () => {
    let fail = false;
    const control = new AdmissionControl({
      sample: async () => {
        if (fail) throw new Error("database gone");
        return [signal("pending orders", 1, 100)];
      },
      intervalMs: 60_000,
      baseRetryAfterSeconds: 1,
      logger: silent,
    });
    await control.start();
    fail = true;
    await control.refresh();
    expect(control.decide()).toEqual({ admit: true });
    expect(control.latest).toEqual([signal("pending orders", 1, 100)]);
    await control.stop();
  });

  describe("when sampling keeps failing", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("drops a sample once it is stale, so that no refusal rests on it", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      let fail = false;
      const control = new AdmissionControl({
        sample: async () => {
          if (fail) throw new Error("database gone");
          return [signal("pending orders", 500, 100)];
        },
        intervalMs: 1_000,
        baseRetryAfterSeconds: 1,
        logger: silent,
      });
      await control.start();
      expect(control.decide().admit).toBe(false);
      fail = true;
      vi.setSystemTime(Date.now() + 5_000);
      await control.refresh();
      expect(control.decide().admit).toBe(false);
      vi.setSystemTime(Date.now() + 10_000);
      await control.refresh();
      expect(control.decide()).toEqual({ admit: true });
      await control.stop();
    });
  });
});
