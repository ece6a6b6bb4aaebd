import { Agent, type IncomingHttpHeaders, request } from "node:http";

/** A request as sent on the wire: any method, a raw path, any headers, an optional chunked body. */
export interface RawRequest {
  method: string;
  /** Sent as is (node only refuses characters outside \x21-\xff). */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body with Transfer-Encoding: chunked and no Content-Length. */
  chunked?: boolean;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, or for a Server-Sent Events stream what arrived before it was closed. */
  body: string;
  /** The response was an event stream, closed by the client after its first bytes. */
  streamed: boolean;
}

const CHUNK = 16 * 1024;

/**
 * Sends one request with node's HTTP client rather than fetch, so that paths are not normalised,
 * bodies can be chunked and headers can carry raw bytes. Rejects on a connection error or timeout.
 */
export function sendRaw(
  baseUrl: string,
  req: RawRequest,
  options: {
    agent?: Agent | false;
    timeoutMs?: number;
    /** Called once the whole request (headers and body) has been handed to the socket. */
    onSent?: () => void;
  } = {},
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  const headers: Record<string, string> = { ...req.headers };
  if (body && !req.chunked) headers["content-length"] = String(body.length);
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        fn();
      }
    };
    const outgoing = request({
      host: url.hostname,
      port: url.port,
      method: req.method,
      path: req.path,
      headers,
      ...(options.agent !== undefined ? { agent: options.agent } : {}),
    });
    if (options.onSent) outgoing.once("finish", options.onSent);
    const timer = setTimeout(() => {
      settle(() => reject(new Error(`${req.method} ${req.path.slice(0, 200)}: no answer in time`)));
      outgoing.destroy();
    }, options.timeoutMs ?? 15_000);
    outgoing.on("error", (error) => settle(() => reject(error)));
    outgoing.on("response", (incoming) => {
      const status = incoming.statusCode ?? 0;
      const chunks: Buffer[] = [];
      const done = (streamed: boolean) =>
        settle(() =>
          resolve({
            status,
            headers: incoming.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            streamed,
          }),
        );
      if (String(incoming.headers["content-type"] ?? "").startsWith("text/event-stream")) {
        // A live stream never ends by itself: its first event (or nothing, for HEAD) is enough.
        if (req.method === "HEAD") {
          incoming.destroy();
          done(true);
          return;
        }
        incoming.once("data", (chunk: Buffer) => {
          chunks.push(chunk);
          incoming.destroy();
          done(true);
        });
        incoming.on("end", () => done(true));
        return;
      }
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () => done(false));
      incoming.on("error", (error) => settle(() => reject(error)));
    });
    if (body && req.chunked) {
      for (let offset = 0; offset < body.length; offset += CHUNK) {
        outgoing.write(body.subarray(offset, offset + CHUNK));
      }
      outgoing.end();
    } else {
      outgoing.end(body);
    }
  });
}

export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 16 });
}
