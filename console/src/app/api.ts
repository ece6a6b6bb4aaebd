/** What the console knows of the services, and how it talks to them. */

export interface ConsoleConfig {
  orderServiceUrl: string;
  inventoryServiceUrl: string;
}

export type OrderStatus = "PENDING" | "CONFIRMED" | "ADJUSTED" | "REJECTED" | "CANCELLED";
export const ORDER_STATUSES: readonly OrderStatus[] = [
  "PENDING",
  "CONFIRMED",
  "ADJUSTED",
  "REJECTED",
  "CANCELLED",
];
export const FINAL_STATUSES: ReadonlySet<OrderStatus> = new Set([
  "CONFIRMED",
  "ADJUSTED",
  "REJECTED",
  "CANCELLED",
]);
export type Fulfilment = "PARTIAL" | "ALL_OR_NOTHING";

export interface OrderView {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  fulfilment: Fulfilment;
  reason: string | null;
  items: {
    sku: string;
    requestedQuantity: number;
    confirmedQuantity: number | null;
    status: "PENDING" | "RESERVED" | "PARTIAL" | "REJECTED";
    reason: string | null;
  }[];
  decisionDeadline: string;
  createdAt: string;
  updatedAt: string;
}

export interface TimelineItem {
  eventId: string;
  type: string;
  direction: "EMITTED" | "RECEIVED";
  occurredAt: string;
  recordedAt: string;
  /** The Kafka topic the event travels on, as the order service names it; null for none. */
  topic?: string | null;
  event: unknown;
}

export interface ProductView {
  sku: string;
  name: string;
  onHand: number;
  reserved: number;
  available: number;
  updatedAt: string;
}

export interface ReservationView {
  reservationId: string;
  orderId: string;
  sku: string;
  quantity: number;
  status: string;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
}

export interface DeadLetterView {
  id: string;
  reason: string;
  detail: string;
  origin: { topic: string; partition: number; offset: string | number; consumerGroup: string };
  failedAt: string;
  key: string | null;
  payload:
    | { decoded: true; schemaId: number; type: string; value: unknown }
    | { decoded: false; hex: string; error: string };
  replays: { at: string; by: string; forced: boolean }[];
}

export type ServiceName = "order" | "inventory";

/** A refusal as the services explain it (problem+json), or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly type: string | undefined,
    /** Seconds, from Retry-After. */
    readonly retryAfter: number | undefined,
    readonly fieldErrors: { pointer: string; detail: string }[] = [],
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }

  get overloaded(): boolean {
    return this.status === 503 && (this.type?.endsWith("overloaded") ?? false);
  }

  /** Whether the same request may succeed later, so a retry must reuse its idempotency key. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function errorOf(response: Response): Promise<ApiError> {
  const retryHeader = response.headers.get("retry-after");
  const retryAfter = retryHeader !== null && /^\d+$/.test(retryHeader) ? Number(retryHeader) : undefined;
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (isRecord(body) && typeof body.title === "string") {
    const errors = Array.isArray(body.errors)
      ? body.errors
          .filter(isRecord)
          .map((e) => ({ pointer: String(e.pointer ?? ""), detail: String(e.detail ?? "") }))
      : [];
    return new ApiError(
      response.status,
      body.title,
      typeof body.detail === "string" ? body.detail : undefined,
      typeof body.type === "string" ? body.type : undefined,
      retryAfter,
      errors,
    );
  }
  return new ApiError(
    response.status,
    `HTTP ${response.status}`,
    response.statusText || undefined,
    undefined,
    retryAfter,
  );
}

let loadedConfig: Promise<ConsoleConfig> | undefined;

export function loadConfig(): Promise<ConsoleConfig> {
  loadedConfig ??= fetch("./config.json", { cache: "no-store" }).then(async (response) => {
    if (!response.ok) throw await errorOf(response);
    const value: unknown = await response.json();
    if (
      !isRecord(value) ||
      typeof value.orderServiceUrl !== "string" ||
      typeof value.inventoryServiceUrl !== "string"
    ) {
      throw new ApiError(
        0,
        "The console's configuration is not valid",
        "config.json lacks the service URLs",
        undefined,
        undefined,
      );
    }
    return { orderServiceUrl: value.orderServiceUrl, inventoryServiceUrl: value.inventoryServiceUrl };
  });
  return loadedConfig;
}

export interface CallOptions {
  method?: string;
  json?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** The response of a call that succeeded (2xx); anything else is thrown as an ApiError. */
export async function call(
  service: ServiceName,
  path: string,
  token: string | undefined,
  options: CallOptions = {},
): Promise<Response> {
  const config = await loadConfig();
  const base = service === "order" ? config.orderServiceUrl : config.inventoryServiceUrl;
  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.json !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method: options.method ?? "GET",
      headers,
      ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const name = service === "order" ? "order service" : "inventory service";
    throw new ApiError(
      0,
      `The ${name} cannot be reached`,
      `${base} did not answer; is it running?`,
      undefined,
      undefined,
    );
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function callJson<T>(
  service: ServiceName,
  path: string,
  token: string | undefined,
  options: CallOptions = {},
): Promise<T> {
  const response = await call(service, path, token, options);
  return (await response.json()) as T;
}

export interface ServerSentEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * The events of a text/event-stream response, read with fetch (EventSource cannot send a bearer
 * token). Comments (keep-alives) are skipped; ends when the server closes the stream.
 */
export async function* serverSentEvents(response: Response): AsyncGenerator<ServerSentEvent> {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, "\n");
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        let id: string | undefined;
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line === "" || line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") event = text;
          else if (field === "data") data.push(text);
          else if (field === "id") id = text;
        }
        if (data.length > 0) yield { event, data: data.join("\n"), id };
        end = buffer.indexOf("\n\n");
      }
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

/** What to tell a person about a failure, in one line. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.overloaded) return `The order service is busy, retry in ${error.retryAfter ?? 1} s.`;
    if (error.status === 401)
      return `${error.title}: ${error.detail ?? "your token was refused"}. Sign in again.`;
    const fields = error.fieldErrors.map((e) => `${e.pointer}: ${e.detail}`).join("; ");
    return [error.message, fields].filter(Boolean).join(" — ");
  }
  return error instanceof Error ? error.message : String(error);
}
