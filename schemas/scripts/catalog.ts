/**
 * Generates the event catalog (docs/events.md, docs/asyncapi.json) from schemas/*.avsc and the topic map.
 * With --check it writes nothing and fails when the committed catalog differs.
 */
import { findDrift, loadCheckedSchemas, renderCatalogFiles, writeGenerated } from "./lib/outputs.js";

const checkOnly = process.argv.includes("--check");

try {
  const catalog = await renderCatalogFiles(loadCheckedSchemas());
  if (checkOnly) {
    const drift = findDrift(catalog);
    if (drift.length > 0) {
      console.error(
        `The event catalog is out of date; run npm run catalog -w @stocksaga/schemas:\n  ${drift.join("\n  ")}`,
      );
      process.exit(1);
    }
    console.log("The event catalog matches the schemas.");
  } else {
    const changed = writeGenerated(catalog);
    console.log(
      changed.length > 0 ? `Wrote:\n  ${changed.join("\n  ")}` : "The event catalog is up to date.",
    );
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
