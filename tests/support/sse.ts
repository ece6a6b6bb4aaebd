/** One Server-Sent Event: its `event` name (default "message") and its data lines joined. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * Reads the events of a text/event-stream response as they arrive (comments skipped). Call
 * `next()` for each; `close()` cancels the body.
 */
export function sseReader(response: Response) {
  if (!response.body) throw new Error("the response has no body");
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const ready: ServerSentEvent[] = [];

  const parse = (block: string) => {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (data.length > 0) ready.push({ event, data: data.join("\n") });
  };

  return {
    async next(): Promise<ServerSentEvent | undefined> {
      while (ready.length === 0) {
        const { value, done } = await reader.read();
        if (done) return undefined;
        buffer += decoder.decode(value, { stream: true }).replaceAll("\r\n", "\n");
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
      return ready.shift();
    },
    /** The next event that `matches`, skipping the others. */
    async until(matches: (event: ServerSentEvent) => boolean): Promise<ServerSentEvent> {
      for (;;) {
        const event = await this.next();
        if (!event) throw new Error("the stream ended first");
        if (matches(event)) return event;
      }
    },
    async close(): Promise<void> {
      await reader.cancel().catch(() => undefined);
    },
  };
}
