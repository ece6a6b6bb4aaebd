/**
 * Imported first by run.ts: the local stack reads STOCKSAGA_KAFKA_BROKER_COUNT once, when its
 * settings module is first evaluated, and the harness's own imports evaluate it before run.ts's
 * body runs. So `--brokers N` has to reach the environment before any other import.
 */
const at = process.argv.findIndex((arg) => arg === "--brokers" || arg.startsWith("--brokers="));
if (at >= 0) {
  const arg = process.argv[at] as string;
  const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : process.argv[at + 1];
  if (value !== undefined) process.env.STOCKSAGA_KAFKA_BROKER_COUNT = value;
}
