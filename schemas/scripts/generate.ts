/**
 * Generates the TypeScript types and embedded schemas of @stocksaga/contracts, and the event catalog,
 * from schemas/*.avsc.
 *   --check           write nothing; fail when the committed files differ from what the schemas generate
 *   --fail-on-change  write, then fail if anything changed: how turbo runs it before build/typecheck/test,
 *                     so stale committed files fail the pipeline instead of being fixed silently
 */
import {
  findDrift,
  GENERATED_CODE_DIR,
  loadCheckedSchemas,
  renderCatalogFiles,
  renderCode,
  writeGenerated,
} from "./lib/outputs.js";

const checkOnly = process.argv.includes("--check");
const failOnChange = process.argv.includes("--fail-on-change");
const regenerate = "npm run generate -w @stocksaga/schemas";

try {
  const files = loadCheckedSchemas();
  const code = renderCode(files);
  if (checkOnly) {
    const drift = findDrift([...code, ...(await renderCatalogFiles(files))], [GENERATED_CODE_DIR]);
    if (drift.length > 0) {
      console.error(`Generated files are out of date; run ${regenerate}:\n  ${drift.join("\n  ")}`);
      process.exit(1);
    }
    console.log(`Generated files match the ${files.length} schemas.`);
  } else {
    const changed = writeGenerated(code, [GENERATED_CODE_DIR]);
    changed.push(...writeGenerated(await renderCatalogFiles(files)));
    if (changed.length === 0) {
      console.log(`Generated files match the ${files.length} schemas.`);
    } else if (failOnChange) {
      console.error(
        `The committed generated files did not match the schemas; regenerated (review and commit them, then run again):\n  ${changed.join("\n  ")}`,
      );
      process.exit(1);
    } else {
      console.log(`Generated from ${files.length} schemas:\n  ${changed.join("\n  ")}`);
    }
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
