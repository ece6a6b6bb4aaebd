/** Fails when any local schema is incompatible with what the registry holds for its subject. */
import { checkContracts, DEFAULT_REGISTRY_URL, failuresOf, RegistryClient } from "@stocksaga/contracts";

const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? DEFAULT_REGISTRY_URL;

try {
  const reports = await checkContracts(new RegistryClient(registryUrl));
  for (const report of reports) {
    const versions =
      report.registeredVersions.length > 0 ? `versions ${report.registeredVersions.join(", ")}` : "";
    console.log(
      `${report.status.padEnd(12)} ${report.subject}  ${report.compatibility ?? ""} ${versions}`.trimEnd(),
    );
  }
  const failures = failuresOf(reports);
  if (failures.length > 0) {
    console.error(`\nIncompatible with the registry at ${registryUrl}:\n  ${failures.join("\n  ")}`);
    process.exit(1);
  }
  console.log(`All ${reports.length} schemas are compatible with the registry at ${registryUrl}.`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
