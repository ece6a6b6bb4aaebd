import fc from "fast-check";
import type { RawRequest } from "../support/raw-http.js";

/**
 * Hostile requests, built as "a valid request to an endpoint, then a few mutations": a bug hides
 * where every check but one passes, which purely random bytes rarely reach.
 */

export type Service = "order" | "inventory";
type Guard = "none" | "customer" | "admin";
type BodyKind = "order" | "cancel" | "product" | "adjustment" | "none";
type QueryKind = "orders" | "products" | "reservations" | "none";

export interface Endpoint {
  name: string;
  service: Service | "either";
  method: string;
  template: string;
  guard: Guard;
  body: BodyKind;
  query: QueryKind;
  /** How often it is picked, relative to the others: endpoints with bodies have more to break. */
  weight: number;
}

const endpoint = (
  name: string,
  service: Endpoint["service"],
  guard: Guard,
  options: { body?: BodyKind; query?: QueryKind; weight?: number } = {},
): Endpoint => {
  const [method = "GET", template = "/"] = name.split(" ");
  return {
    name,
    service,
    method,
    template,
    guard,
    body: options.body ?? "none",
    query: options.query ?? "none",
    weight: options.weight ?? 1,
  };
};

export const ENDPOINTS: readonly Endpoint[] = [
  endpoint("POST /orders", "order", "customer", { body: "order", weight: 4 }),
  endpoint("GET /orders", "order", "customer", { query: "orders", weight: 3 }),
  endpoint("GET /orders/{id}", "order", "customer", { weight: 2 }),
  endpoint("POST /orders/{id}/cancel", "order", "customer", { body: "cancel", weight: 3 }),
  endpoint("GET /orders/{id}/events", "order", "customer"),
  endpoint("GET /orders/{id}/timeline", "order", "customer"),
  endpoint("POST /products", "inventory", "admin", { body: "product", weight: 4 }),
  endpoint("GET /products", "inventory", "none", { query: "products", weight: 2 }),
  endpoint("GET /products/{sku}", "inventory", "none", { weight: 2 }),
  endpoint("POST /products/{sku}/adjustments", "inventory", "admin", { body: "adjustment", weight: 4 }),
  endpoint("GET /reservations", "inventory", "admin", { query: "reservations", weight: 2 }),
  endpoint("GET /health/live", "either", "none"),
  endpoint("GET /health/ready", "either", "none"),
  endpoint("GET /openapi.json", "either", "none"),
  endpoint("GET /docs", "either", "none"),
  endpoint("GET /{anything}", "either", "none"),
];

export type Principal = "alice" | "bob" | "admin";
export type TokenKind = Principal | "refused" | "garbage" | "missing";

/** What the generators draw from: the fixtures of the test and tokens for its secret. */
export interface World {
  skus: readonly string[];
  /** Prefix of SKUs that do not exist yet, unique to the run. */
  newSkuPrefix: string;
  orders: Record<"alice" | "bob", string>;
  tokens: Record<Principal, string>;
  refusedTokens: Readonly<Record<string, string>>;
}

export interface FuzzCase {
  endpoint: Endpoint;
  service: Service;
  tokenKind: TokenKind;
  tokenName: string;
  /** The path is the endpoint's template with its placeholder filled, nothing appended. */
  plainPath: boolean;
  mutations: readonly string[];
  request: RawRequest;
}

interface Draft {
  endpoint: Endpoint;
  service: Service;
  method: string;
  segment: string;
  noise: string;
  query: [string, string][];
  token: { kind: TokenKind; name: string; header: string | undefined };
  contentType: string | undefined;
  body: { fields: Record<string, unknown> } | { raw: string | Buffer } | undefined;
  chunked: boolean;
  headers: Record<string, string>;
  mutations: string[];
}

interface Mutation {
  name: string;
  apply: (draft: Draft) => void;
}

// ---- hostile values ---------------------------------------------------------------------------

/** A JSON text with raw number literals (`1e309`, `-0`) that JSON.stringify cannot produce. */
const RAW = "\u0001raw:";
const raw = (text: string) => `${RAW}${text}`;
export function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0001raw:((?:[^"\\]|\\.)*)"/g, (_m, text: string) =>
    JSON.parse(`"${text}"`),
  );
}

/** Text an attacker would try, by family, so that each family turns up often. */
const hostileText = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "\u0000",
      "a\u0000b",
      "\u0007bell",
      "\u001b[31mred",
      "line\r\nInjected: 1",
      "\t",
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "\ud800",
      "x\udfff\ud800",
      "😀",
      "ﷺ",
      "e\u0301",
      "\u202eevil",
      "\ufeff",
      "\uffff",
    ),
  },
  fc.constantFrom(
    "' OR '1'='1",
    "'; DROP TABLE products; --",
    "Robert'); DROP TABLE orders;--",
    "$1",
    "%s%s%n",
    `\${jndi:ldap://x}`,
    "{{7*7}}",
    "<script>alert(1)</script>",
    "../../etc/passwd",
  ),
  fc.constantFrom("", " ", "   \n ", "x".repeat(201), "x".repeat(10_000)),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
);

const hostileNumber = fc.oneof(
  fc.constantFrom(
    raw("1e309"),
    raw("-1e309"),
    raw("-0"),
    raw("1.0"),
    raw("1E2"),
    raw("9007199254740993"),
    raw("123456789012345678901234567890"),
    raw("0.1e-400"),
    "NaN",
    "Infinity",
    "-Infinity",
    "1",
    "0x10",
    " 2",
  ),
  fc.double(),
  fc.integer(),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((n) => raw(n.toString())),
);

const hostileOther = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    [],
    {},
    [1],
    { $gt: 0 },
    JSON.parse('{"__proto__":{"admin":true}}'),
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

const deepNesting = fc
  .tuple(fc.integer({ min: 100, max: 20_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`,
  );

const rawBodies = fc.oneof(
  fc.constantFrom(
    "",
    "{",
    "null",
    "[]",
    '"text"',
    "1e309",
    "NaN",
    "{'items':[]}",
    '{"items":[{"sku":"A","quantity":NaN}]}',
    '{"items":[{"sku":"A","quantity":Infinity}]}',
    '{"items":[{"sku":"A","quantity":1}],}',
    '{"items":[{"sku":"A","quantity":1}]}garbage',
    '\ufeff{"items":[{"sku":"A","quantity":1}]}',
    '{"items":[{"sku":"A","quantity":1}],"items":[]}',
    '{"__proto__":{"isAdmin":true},"items":[{"sku":"A","quantity":1}]}',
  ),
  deepNesting,
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
);

/** Bodies over the 64 KiB limit; sometimes JSON-looking, sometimes not. */
const oversized = fc
  .tuple(fc.integer({ min: 64 * 1024 + 1, max: 300 * 1024 }), fc.boolean())
  .map(([size, json]) => (json ? `{"name":"${"x".repeat(size)}"}` : "y".repeat(size)));

const oddContentTypes = fc.constantFrom(
  "application/json; charset=utf-16",
  "APPLICATION/JSON",
  "application/merge-patch+json",
  "application/problem+json",
  "application/jsonx",
  "application/json;;;",
  "text/plain",
  "text/html",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "application/xml",
  "*/*",
  "",
  "json",
  undefined,
);

/** Path segments an attacker would try in place of an id or SKU, already in wire form. */
export const hostileSegment = fc.oneof(
  fc.constantFrom(
    "..%2F..%2Fproducts",
    "..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2f",
    "..%5C..%5C",
    "%2e%2e",
    "..",
    ".",
    "%00",
    "a%00b",
    "%ZZ",
    "%E0%A4%A",
    "%C0%AE%C0%AE%2F",
    "%25",
    "'%20OR%20'1'='1",
    "1;DROP%20TABLE%20orders",
    "%F0%9F%98%80",
    "null",
    "undefined",
    "-1",
    "0",
    "NaN",
    "1e309",
    "__proto__",
    "constructor",
    "x".repeat(3_000),
    "a\\b",
    "%0d%0aSet-Cookie:x=1",
  ),
  fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 10 }).map(encodeURIComponent),
  // Raw UTF-8 bytes on the wire, unescaped (node sends latin1 characters as single bytes).
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }).map((s) =>
    Buffer.from(s, "utf8")
      .toString("latin1")
      .replace(/[^\x21-\xff]|[?#/]/g, "_"),
  ),
);

/** Base64url cursors that decode to something plausible, with dates PostgreSQL cannot hold. */
const cursors = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.date({ noInvalidDate: true }), fc.uuid())
      .map(([date, id]) => Buffer.from(JSON.stringify([date.toISOString(), id])).toString("base64url")),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom("-271821-04-20T00:00:00.000Z", "+275760-09-13T00:00:00.000Z", "0000-01-01", "x", 5),
        fc.oneof(fc.uuid(), fc.constant("not-a-uuid")),
      )
      .map((pair) => Buffer.from(JSON.stringify(pair)).toString("base64url")),
  },
  fc.string({ maxLength: 20 }).map((s) => Buffer.from(s).toString("base64url")),
  fc.constantFrom("AAAA", "!!!", "eyJ9", "W10", "c".repeat(250)),
);

const queryValues = fc.oneof(
  fc.constantFrom("pending", "0", "-1", "101", "1e400", "NaN", "Infinity", "99999999999999999999999", "0x10"),
  fc.constantFrom("%20", "", "%00", "%ZZ", "%F0%9F%98%80", "9".repeat(5_000), "c".repeat(8_000)),
  hostileSegment,
);

// ---- valid requests ---------------------------------------------------------------------------

const KNOWN_QUERY: Record<QueryKind, readonly string[]> = {
  orders: ["status", "limit", "cursor"],
  products: ["limit", "cursor"],
  reservations: ["orderId"],
  none: [],
};

function validBody(kind: BodyKind, world: World): fc.Arbitrary<Draft["body"]> {
  const fields = (arb: fc.Arbitrary<Record<string, unknown>>) => arb.map((f) => ({ fields: f }));
  switch (kind) {
    case "order":
      return fields(
        fc.record(
          {
            items: fc
              .shuffledSubarray([...world.skus], { minLength: 1, maxLength: 3 })
              .chain((skus) =>
                fc.tuple(
                  ...skus.map((sku) =>
                    fc.record({ sku: fc.constant(sku), quantity: fc.integer({ min: 1, max: 3 }) }),
                  ),
                ),
              ),
            fulfilment: fc.constantFrom("PARTIAL", "ALL_OR_NOTHING"),
          },
          { requiredKeys: ["items"] },
        ),
      );
    case "cancel":
      return fc.oneof(
        fc.constant(undefined),
        fields(fc.record({ reason: fc.constant("changed my mind") }, { requiredKeys: [] })),
      );
    case "product":
      return fields(
        fc.record({
          sku: fc.stringMatching(/^[a-z0-9]{8}$/).map((s) => `${world.newSkuPrefix}-${s}`),
          name: fc.constantFrom("A product", "Mug, blue"),
          onHand: fc.integer({ min: 0, max: 50 }),
        }),
      );
    case "adjustment":
      return fields(
        fc.record({
          delta: fc.integer({ min: -3, max: 5 }).filter((d) => d !== 0),
          reason: fc.constantFrom("recount", "delivery"),
        }),
      );
    case "none":
      return fc.constant(undefined);
  }
}

function validQuery(kind: QueryKind, world: World): fc.Arbitrary<[string, string][]> {
  const pairs = {
    orders: fc.record(
      {
        status: fc.constantFrom("PENDING", "CONFIRMED", "ADJUSTED", "REJECTED", "CANCELLED"),
        limit: fc.integer({ min: 1, max: 100 }).map(String),
      },
      { requiredKeys: [] },
    ),
    products: fc.record({ limit: fc.integer({ min: 1, max: 100 }).map(String) }, { requiredKeys: [] }),
    reservations: fc.record({ orderId: fc.constantFrom(world.orders.alice, world.orders.bob) }),
    none: fc.constant({}),
  }[kind];
  return pairs.map((record) => Object.entries(record) as [string, string][]);
}

function validDraft(e: Endpoint, world: World): fc.Arbitrary<Draft> {
  const principals: fc.Arbitrary<Principal | "missing"> =
    e.guard === "admin"
      ? fc.constant("admin")
      : e.guard === "customer"
        ? fc.oneof(
            { weight: 5, arbitrary: fc.constant<Principal>("alice") },
            { weight: 1, arbitrary: fc.constant<Principal>("bob") },
            { weight: 1, arbitrary: fc.constant<Principal>("admin") },
          )
        : fc.constantFrom<Principal | "missing">("alice", "missing");
  return fc
    .record({
      principal: principals,
      side: fc.constantFrom<Service>("order", "inventory"),
      sku: fc.constantFrom(...world.skus),
      anything: fc.constantFrom("admin", "metrics", ".env", "orders/../products", "%2e%2e/", "favicon.ico"),
      query: validQuery(e.query, world),
      body: validBody(e.body, world),
      idempotencyKey: fc.option(fc.uuid(), { nil: undefined }),
      traceparent: fc.option(fc.constant("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), {
        nil: undefined,
      }),
      chunked: fc.boolean(),
    })
    .map((r): Draft => {
      const own = r.principal === "bob" ? world.orders.bob : world.orders.alice;
      const headers: Record<string, string> = {};
      if (r.idempotencyKey && e.name === "POST /orders") headers["idempotency-key"] = r.idempotencyKey;
      if (r.traceparent) headers.traceparent = r.traceparent;
      return {
        endpoint: e,
        service: e.service === "either" ? r.side : e.service,
        method: e.method,
        segment: e.template.includes("{id}") ? own : e.template.includes("{sku}") ? r.sku : r.anything,
        noise: "",
        query: r.query,
        token:
          r.principal === "missing"
            ? { kind: "missing", name: "(none)", header: undefined }
            : { kind: r.principal, name: r.principal, header: `Bearer ${world.tokens[r.principal]}` },
        contentType: r.body ? "application/json" : undefined,
        body: r.body,
        chunked: r.chunked,
        headers,
        mutations: [],
      };
    });
}

// ---- mutations --------------------------------------------------------------------------------

/** Every JSON path of the body's fields: `["items"]`, `["items", 0, "sku"]`, `["name"]`, … */
function fieldPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => [[...prefix, i], ...fieldPaths(item, [...prefix, i])]);
  }
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => [
      [...prefix, key],
      ...fieldPaths(item, [...prefix, key]),
    ]);
  }
  return [];
}

function fieldAt(body: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>((at, key) => (at as Record<string | number, unknown>)?.[key], body);
}

function updateField(
  body: Record<string, unknown>,
  path: readonly (string | number)[],
  update: (parent: Record<string | number, unknown>, key: string | number) => void,
): void {
  const parent = fieldAt(body, path.slice(0, -1)) as Record<string | number, unknown> | undefined;
  const key = path.at(-1);
  if (parent && typeof parent === "object" && key !== undefined) update(parent, key);
}

const mutation = (name: string, apply: (draft: Draft) => void): Mutation => ({ name, apply });

/** Generated values can be shared instances (`constantFrom`): a body gets its own copy. */
const copyOf = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

function mutations(world: World): fc.Arbitrary<Mutation> {
  const withFields = (draft: Draft): Record<string, unknown> | undefined =>
    draft.body && "fields" in draft.body ? draft.body.fields : undefined;

  const fieldValue = fc
    .record({
      pick: fc.nat(),
      text: hostileText,
      number: hostileNumber,
      other: hostileOther,
      kind: fc.nat(9),
    })
    .map(({ pick, text, number, other, kind }) =>
      mutation("field value", (draft) => {
        const body = withFields(draft);
        if (!body) return;
        const paths = fieldPaths(body);
        const path = paths[pick % paths.length];
        if (!path) return;
        const current = fieldAt(body, path);
        // Mostly a value of the field's own type that breaks a rule, sometimes another type.
        const value =
          typeof current === "string"
            ? kind < 7
              ? text
              : kind < 9
                ? number
                : other
            : typeof current === "number"
              ? kind < 7
                ? number
                : kind < 9
                  ? text
                  : other
              : kind < 5
                ? other
                : text;
        updateField(body, path, (parent, key) => {
          parent[key] = copyOf(value);
        });
        draft.mutations.push(`${path.join(".")} = ${JSON.stringify(value)?.slice(0, 60)}`);
      }),
    );

  const dropField = fc.nat().map((pick) =>
    mutation("drop field", (draft) => {
      const body = withFields(draft);
      const path = body ? fieldPaths(body)[pick % Math.max(1, fieldPaths(body).length)] : undefined;
      if (!body || !path) return;
      updateField(body, path, (parent, key) => {
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
      });
      draft.mutations.push(`drop ${path.join(".")}`);
    }),
  );

  const extraField = fc
    .tuple(
      fc.constantFrom("__proto__", "constructor", "admin", "isAdmin", "price", "customerId", "x"),
      hostileOther,
    )
    .map(([key, value]) =>
      mutation("extra field", (draft) => {
        const body = withFields(draft) ?? {};
        Object.defineProperty(body, key, {
          value: copyOf(value),
          enumerable: true,
          configurable: true,
          writable: true,
        });
        draft.body = { fields: body };
        draft.mutations.push(`extra ${key}`);
      }),
    );

  const rawBody = rawBodies.map((body) =>
    mutation("raw body", (draft) => {
      draft.body = { raw: body };
      draft.contentType ??= "application/json";
      draft.mutations.push("raw body");
    }),
  );

  const bigBody = fc.tuple(oversized, fc.boolean()).map(([body, chunked]) =>
    mutation("oversized body", (draft) => {
      draft.body = { raw: body };
      draft.chunked = chunked;
      draft.contentType ??= "application/json";
      draft.mutations.push(`oversized ${chunked ? "chunked " : ""}body`);
    }),
  );

  const contentType = oddContentTypes.map((type) =>
    mutation("content type", (draft) => {
      draft.contentType = type;
      draft.mutations.push(`content-type ${JSON.stringify(type)}`);
    }),
  );

  const refused = Object.entries(world.refusedTokens);
  const token = fc
    .oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom(...refused).map(([name, t]) => ["refused", name, `Bearer ${t}`] as const),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          ["garbage", "Bearer", "Bearer"] as const,
          ["garbage", "Bearer (empty)", "Bearer "] as const,
          ["garbage", "Basic", "Basic YWRtaW46YWRtaW4="] as const,
          ["garbage", "bearer x.y", "bearer x.y"] as const,
          ["garbage", "a token without Bearer", world.tokens.admin] as const,
          ["garbage", "two tokens", `Bearer ${world.tokens.admin} Bearer ${world.tokens.alice}`] as const,
        ),
      },
      { weight: 1, arbitrary: fc.constant(["missing", "(none)", undefined] as const) },
      {
        weight: 2,
        arbitrary: fc
          .constantFrom<Principal>("alice", "bob", "admin")
          .map((p) => [p, p, `Bearer ${world.tokens[p]}`] as const),
      },
    )
    .map(([kind, name, header]) =>
      mutation("token", (draft) => {
        draft.token = { kind, name, header };
        draft.mutations.push(`token ${name}`);
      }),
    );

  const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS").map((m) =>
    mutation("method", (draft) => {
      draft.method = m;
      draft.mutations.push(`method ${m}`);
    }),
  );

  const segment = fc
    .oneof(
      { weight: 4, arbitrary: hostileSegment },
      { weight: 2, arbitrary: fc.constantFrom(world.orders.alice, world.orders.bob) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(world.orders.alice.toUpperCase(), world.orders.bob.toUpperCase()),
      },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: fc.constantFrom(...world.skus).map((s) => s.toLowerCase()) },
    )
    .map((value) =>
      mutation("path segment", (draft) => {
        draft.segment = value;
        draft.mutations.push(`segment ${value.slice(0, 60)}`);
      }),
    );

  const query = fc
    .record({
      how: fc.constantFrom("set", "set", "set", "repeat", "add"),
      key: fc.constantFrom(
        "__proto__",
        "constructor",
        "limit[]",
        "status[0]",
        "LIMIT",
        "",
        "a%00",
        "x".repeat(500),
      ),
      pick: fc.nat(),
      value: queryValues,
      cursor: cursors,
      huge: fc.constantFrom("d".repeat(20_000), "e".repeat(15_000)),
      which: fc.nat(9),
    })
    .map(({ how, key, pick, value, cursor, huge, which }) =>
      mutation("query", (draft) => {
        const known = KNOWN_QUERY[draft.endpoint.query];
        const name = how === "add" || known.length === 0 ? key : (known[pick % known.length] as string);
        // Mostly a value that breaks a rule, sometimes one over node's 16 KiB request-line limit.
        const v = which === 0 ? huge : name === "cursor" && which < 7 ? cursor : value;
        if (how === "set") draft.query = draft.query.filter(([k]) => k !== name);
        draft.query.push([name, v]);
        draft.mutations.push(`query ${how} ${name.slice(0, 20)}=${v.slice(0, 40)}`);
      }),
    );

  const header = fc
    .tuple(
      fc.constantFrom("idempotency-key", "x-request-id", "traceparent", "accept", "x-forwarded-for"),
      fc.oneof(
        hostileSegment,
        fc.constantFrom("k".repeat(200), "00-00000000000000000000000000000000-0000000000000000-01", "ff-zz"),
        fc.constantFrom("text/event-stream", "application/xml", "1.2.3.4, 5.6.7.8"),
      ),
    )
    .map(([name, value]) =>
      mutation("header", (draft) => {
        draft.headers[name] = value;
        draft.mutations.push(`header ${name}: ${value.slice(0, 40)}`);
      }),
    );

  const noise = fc
    .constantFrom("/", "//", ";jsessionid=1", "%2F", "/..", "/%2e%2e", "/x", ".json", "#frag")
    .map((suffix) =>
      mutation("path noise", (draft) => {
        draft.noise = suffix;
        draft.mutations.push(`path + ${suffix}`);
      }),
    );

  return fc.oneof(
    { weight: 12, arbitrary: fieldValue },
    { weight: 2, arbitrary: dropField },
    { weight: 2, arbitrary: extraField },
    { weight: 3, arbitrary: rawBody },
    { weight: 2, arbitrary: bigBody },
    { weight: 2, arbitrary: contentType },
    { weight: 4, arbitrary: token },
    { weight: 2, arbitrary: method },
    { weight: 4, arbitrary: segment },
    { weight: 6, arbitrary: query },
    { weight: 2, arbitrary: header },
    { weight: 1, arbitrary: noise },
  );
}

// ---- cases ------------------------------------------------------------------------------------

function render(draft: Draft): FuzzCase {
  const path =
    draft.endpoint.template.replace(/\{(id|sku|anything)\}/, draft.segment) +
    draft.noise +
    (draft.query.length === 0
      ? ""
      : `?${draft.query.map(([k, v]) => (k === "" ? v : `${k}=${v}`)).join("&")}`);
  const headers: Record<string, string> = { ...draft.headers };
  if (draft.token.header !== undefined) headers.authorization = draft.token.header;
  const body =
    draft.body === undefined ? undefined : "raw" in draft.body ? draft.body.raw : jsonText(draft.body.fields);
  const sendsBody = body !== undefined && draft.method !== "GET" && draft.method !== "HEAD";
  if (sendsBody && draft.contentType !== undefined) headers["content-type"] = draft.contentType;
  return {
    endpoint: draft.endpoint,
    service: draft.service,
    tokenKind: draft.token.kind,
    tokenName: draft.token.name,
    plainPath: draft.noise === "",
    mutations: draft.mutations,
    request: {
      method: draft.method,
      path,
      headers,
      ...(sendsBody ? { body, chunked: draft.chunked } : {}),
    },
  };
}

export function describeCase(fuzz: FuzzCase): string {
  const body = fuzz.request.body;
  const bodyText =
    body === undefined ? "(none)" : `${String(body).slice(0, 300)}… (${Buffer.byteLength(body)} bytes)`;
  const headers = Object.fromEntries(
    Object.entries(fuzz.request.headers ?? {}).map(([k, v]) => [
      k,
      k === "authorization" ? fuzz.tokenName : v.slice(0, 200),
    ]),
  );
  return `${fuzz.service} ${fuzz.request.method} ${fuzz.request.path.slice(0, 300)} [${fuzz.mutations.join("; ")}] headers=${JSON.stringify(headers)}${fuzz.request.chunked ? " chunked" : ""} body=${bodyText}`;
}

/** One request: a valid one to a weighted endpoint, with up to three mutations (none in 1 of 6). */
export function fuzzCases(world: World): fc.Arbitrary<FuzzCase> {
  const endpoints = fc.oneof(...ENDPOINTS.map((e) => ({ weight: e.weight, arbitrary: fc.constant(e) })));
  const changes = fc.oneof(
    { weight: 1, arbitrary: fc.constant<Mutation[]>([]) },
    { weight: 5, arbitrary: fc.array(mutations(world), { minLength: 1, maxLength: 3 }) },
  );
  return endpoints
    .chain((e) => fc.tuple(validDraft(e, world), changes))
    .map(([draft, applied]) => {
      const copy: Draft = structuredCloneDraft(draft);
      for (const m of applied) m.apply(copy);
      const fuzz = render(copy);
      return Object.assign(fuzz, { [fc.toStringMethod]: () => describeCase(fuzz) });
    });
}

/** Mutations change the draft in place: each case works on its own deep copy. */
function structuredCloneDraft(draft: Draft): Draft {
  const body =
    draft.body === undefined
      ? undefined
      : "raw" in draft.body
        ? { raw: draft.body.raw }
        : { fields: JSON.parse(JSON.stringify(draft.body.fields)) as Record<string, unknown> };
  return {
    ...draft,
    query: draft.query.map(([k, v]) => [k, v]),
    token: { ...draft.token },
    body,
    headers: { ...draft.headers },
    mutations: [],
  };
}
