/** The slice of an OpenAPI 3.1 document the reference page reads. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: Record<string, unknown>;
  security?: unknown[];
}

export interface OpenApiOperation {
  summary?: string;
  description?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, { example?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, unknown> }>;
}

/** The OpenAPI schema of a problem+json body (RFC 9457), as every service answers its errors. */
export const problemSchema = {
  type: "object",
  required: ["type", "title", "status"],
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    instance: { type: "string" },
    errors: {
      type: "array",
      items: {
        type: "object",
        properties: { pointer: { type: "string" }, detail: { type: "string" } },
      },
    },
  },
};

/** A response's content that is a problem: `problemSchema`, registered as `components.schemas.Problem`. */
export const problemJson = {
  "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } },
};

const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/**
 * A self-contained API reference (no scripts, no CDN), rendered from the same OpenAPI document
 * `/openapi.json` serves, so the two never disagree.
 */
export function apiReferencePage(doc: OpenApiDocument): string {
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const params = (op.parameters ?? [])
        .map(
          (p) =>
            `<li><code>${escapeHtml(p.name)}</code> (${escapeHtml(p.in)}${p.required ? ", required" : ""}) ${escapeHtml(p.description ?? "")}</li>`,
        )
        .join("");
      const example = Object.values(op.requestBody?.content ?? {})[0]?.example;
      const responses = Object.entries(op.responses ?? {})
        .map(
          ([status, r]) => `<li><code>${escapeHtml(status)}</code> ${escapeHtml(r.description ?? "")}</li>`,
        )
        .join("");
      return `<section>
  <h2><span class="method">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h2>
  <p><strong>${escapeHtml(op.summary ?? "")}</strong>${op.security && op.security.length === 0 ? " · no token needed" : ""}</p>
  ${op.description ? `<p>${escapeHtml(op.description)}</p>` : ""}
  ${params ? `<h3>Parameters</h3><ul>${params}</ul>` : ""}
  ${example !== undefined ? `<h3>Example body</h3><pre>${escapeHtml(JSON.stringify(example, null, 2))}</pre>` : ""}
  ${responses ? `<h3>Responses</h3><ul>${responses}</ul>` : ""}
</section>`;
    }),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1d1d1f}
section{border-top:1px solid #ddd;padding:.5rem 0}
.method{display:inline-block;min-width:4.5rem;font-size:.8em;padding:.1em .4em;border-radius:4px;background:#0b5;color:#fff;text-align:center}
pre{background:#f4f4f6;padding:.75rem;overflow:auto}
code{font-size:.95em}
</style></head>
<body><h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
${doc.info.description ? `<p>${escapeHtml(doc.info.description)}</p>` : ""}
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Errors are <code>application/problem+json</code> (RFC 9457).</p>
${operations.join("\n")}
</body></html>`;
}
