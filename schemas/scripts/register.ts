/** Sets FULL_TRANSITIVE on every subject and registers this build's schemas. Idempotent. */
import { DEFAULT_REGISTRY_URL, RegistryClient, registerContracts } from "@stocksaga/contracts";

const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? DEFAULT_REGISTRY_URL;

try {
  const registrations = await registerContracts(new RegistryClient(registryUrl));
  for (const { subject, id, version } of registrations) {
    console.log(`${subject}  id ${id}  version ${version}`);
  }
  console.log(`Registered ${registrations.length} subjects at ${registryUrl} (FULL_TRANSITIVE).`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
