import { describeFailure } from "./failure.js";
import { ensureTopics } from "./kafka.js";
import { settings } from "./settings.js";
import { down, reset, status, up } from "./stack.js";
import { stackTopics } from "./topics.js";

const log = (line: string) => console.log(`[stack] ${line}`);

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case "up": {
      const { started } = await up(settings, stackTopics, log);
      log(
        started.length > 0 ? `up: started ${started.join(", ")}` : "up: nothing to start, everything answers",
      );
      log(
        `kafka ${settings.kafka.brokers.join(",")} · registry ${settings.registry.url} · data and logs in ${settings.stackDir}`,
      );
      return 0;
    }
    case "down":
      await down(settings, log);
      return 0;
    case "status": {
      const components = await status(settings);
      for (const c of components) {
        const pid = c.pid ? ` pid ${c.pid}` : "";
        const logFile = c.logFile && c.mode === "local" ? ` log ${c.logFile}` : "";
        console.log(
          `${c.component.padEnd(9)} ${c.mode.padEnd(8)} ${c.answering ? "answering" : "DOWN"}${pid}${logFile}`,
        );
        for (const line of c.details ?? []) console.log(`          ${line}`);
      }
      return components.every((c) => c.answering) ? 0 : 3;
    }
    case "topics": {
      // The topics of a deployment's Kafka (KAFKA_BROKERS), replicated for STOCKSAGA_KAFKA_BROKER_COUNT.
      const created = await ensureTopics(settings, stackTopics);
      for (const topic of stackTopics) {
        const config = topic.configEntries.map((entry) => `${entry.name}=${entry.value}`).join(" ");
        log(
          `${topic.topic}: ${created.includes(topic.topic) ? "created" : "exists"} (partitions ${topic.numPartitions}, replication ${topic.replicationFactor}, ${config})`,
        );
      }
      return 0;
    }
    case "reset":
      await reset(settings, log);
      return 0;
    default:
      console.error("usage: stack <up|down|status|topics|reset>");
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(describeFailure(error, "[stack]"));
    process.exit(1);
  },
);
