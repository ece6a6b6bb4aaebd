import { parseArgs } from "node:util";
import { issueToken } from "@stocksaga/platform";
import { devJwtSecret } from "./dev-secret.js";
import { settings } from "./settings.js";

const usage = "usage: npm run token -- --sub <customer-id> [--admin] [--ttl <seconds>]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      sub: { type: "string" },
      admin: { type: "boolean", default: false },
      ttl: { type: "string", default: "3600" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || !values.sub) {
    console.error(usage);
    return values.help ? 0 : 2;
  }
  const ttlSeconds = Number(values.ttl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    console.error(`--ttl must be a positive number of seconds\n${usage}`);
    return 2;
  }
  const { secret } = devJwtSecret(settings);
  console.log(
    await issueToken(secret, { sub: values.sub, roles: values.admin ? ["admin"] : [], ttlSeconds }),
  );
  return 0;
}

main().then((code) => process.exit(code));
