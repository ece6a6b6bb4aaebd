import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { counterValue, parsePrometheusText, scrapeMetrics } from "./prometheus.js";

/** What prom-client 15 answers for these metrics (recorded), histogram, escapes and NaN included. */
const RECORDED = `# HELP stocksaga_db_statements_total Statements sent to PostgreSQL.
# TYPE stocksaga_db_statements_total counter
stocksaga_db_statements_total{kind="select"} 12
stocksaga_db_statements_total{kind="insert"} 30

# HELP stocksaga_kafka_requests_total Kafka requests by API.
# TYPE stocksaga_kafka_requests_total counter
stocksaga_kafka_requests_total{api="Produce"} 7
stocksaga_kafka_requests_total{api="Fetch"} 100

# HELP stocksaga_events_produced_total Events.
# TYPE stocksaga_events_produced_total counter

# HELP http_request_duration_seconds with "quotes" and \\\\ backslash
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1",route="/a\\"b\\\\c\\nd"} 0
http_request_duration_seconds_bucket{le="1",route="/a\\"b\\\\c\\nd"} 1
http_request_duration_seconds_bucket{le="+Inf",route="/a\\"b\\\\c\\nd"} 1
http_request_duration_seconds_sum{route="/a\\"b\\\\c\\nd"} 0.5
http_request_duration_seconds_count{route="/a\\"b\\\\c\\nd"} 1

# HELP g g
# TYPE g gauge
g Nan
`;

describe("the Prometheus text parser", () => {
  const exposition = parsePrometheusText(RECORDED);

  it("reads names, labels with escapes, and values", () => {
    expect(exposition.samples).toHaveLength(10);
    expect(exposition.samples[0]).toEqual({
      name: "stocksaga_db_statements_total",
      labels: { kind: "select" },
      value: 12,
    });
    expect(exposition.samples[6]).toEqual({
      name: "http_request_duration_seconds_bucket",
      labels: { le: "+Inf", route: '/a"b\\c\nd' },
      value: 1,
    });
    expect(exposition.samples.at(-1)?.value).toBeNaN();
  });

  it("sums a counter over its labels, or over the series matching some", () => {
    expect(counterValue(exposition, "stocksaga_db_statements_total")).toBe(42);
    expect(counterValue(exposition, "stocksaga_kafka_requests_total", { api: "Produce" })).toBe(7);
    expect(counterValue(exposition, "stocksaga_kafka_requests_total", { api: "Metadata" })).toBe(0);
  });

  it("tells a declared counter without series yet (0) from a metric the service does not have (undefined)", () => {
    expect(counterValue(exposition, "stocksaga_events_produced_total")).toBe(0);
    expect(counterValue(exposition, "stocksaga_db_transactions_total")).toBeUndefined();
    // OpenMetrics names the family without its _total suffix.
    const open = parsePrometheusText("# TYPE stocksaga_db_transactions counter\n");
    expect(counterValue(open, "stocksaga_db_transactions_total")).toBe(0);
  });

  it("reads timestamps, exponents and labels without a TYPE line, and skips lines it cannot read", () => {
    const parsed = parsePrometheusText(
      [
        'a_total{x="1",} 1.5e3 1700000000000',
        "b -Inf",
        'c{x="unterminated} 1',
        "d not-a-number",
        'e { y = "2" } 4',
        "  ",
      ].join("\n"),
    );
    expect(parsed.samples).toEqual([
      { name: "a_total", labels: { x: "1" }, value: 1_500 },
      { name: "b", labels: {}, value: Number.NEGATIVE_INFINITY },
      { name: "e", labels: { y: "2" }, value: 4 },
    ]);
    expect(counterValue(parsed, "a_total")).toBe(1_500);
  });
});

describe("scraping /metrics", () => {
  it("reads a service's exposition, and gives undefined when it answers anything but 200", async () => {
    let status = 200;
    const server = createServer((req, res) => {
      res.writeHead(req.url === "/metrics" ? status : 404, { "content-type": "text/plain; version=0.0.4" });
      res.end(RECORDED);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const scraped = await scrapeMetrics(url);
      expect(scraped && counterValue(scraped, "stocksaga_db_statements_total")).toBe(42);
      status = 404;
      expect(await scrapeMetrics(url)).toBeUndefined();
    } finally {
      server.close();
    }
    expect(await scrapeMetrics(url, 500)).toBeUndefined();
  });
});
