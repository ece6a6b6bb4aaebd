import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Context, Hono } from "hono";

/** Swagger UI's files, served from the installed `swagger-ui-dist` package: no CDN, no font host. */
const ASSETS = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
} as const;

const assetsFolder = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/** Starts Swagger UI on the document this service serves; a file, since the page runs no inline script. */
const INITIALISER = `window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#reference",
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
});
`;

function page(title: string): string {
  const escaped = title.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escaped}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body><div id="reference"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>`;
}

/**
 * `GET /docs`: the interactive reference of `/openapi.json`, with every asset it loads served
 * here. Files are read once, on first request.
 */
export function serveApiReference(app: Hono<never>, title: string): void {
  const cache = new Map<string, Promise<Buffer>>();
  const asset = (name: keyof typeof ASSETS) => async (c: Context) => {
    let file = cache.get(name);
    if (!file) {
      file = readFile(join(assetsFolder, name));
      cache.set(name, file);
    }
    return c.body(new Uint8Array(await file), 200, {
      "content-type": ASSETS[name],
      "cache-control": "public, max-age=3600",
    });
  };
  const html = page(title);
  app.get("/docs", (c) => c.html(html));
  app.get("/docs/init.js", (c) =>
    c.body(INITIALISER, 200, { "content-type": ASSETS["swagger-ui-bundle.js"] }),
  );
  for (const name of Object.keys(ASSETS) as (keyof typeof ASSETS)[]) app.get(`/docs/${name}`, asset(name));
}
