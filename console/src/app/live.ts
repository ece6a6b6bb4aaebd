import { useEffect, useState } from "preact/hooks";
import {
  ApiError,
  call,
  callJson,
  FINAL_STATUSES,
  type OrderView,
  type ProductView,
  serverSentEvents,
} from "./api.js";

export type Live<T> = { value: T | undefined; error: unknown; connected: boolean };

const RECONNECT_MS = 2000;

function waitOrAbort(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * The catalogue, kept current by `GET /products/stream`: one `snapshot`, then a `product` event
 * per committed change. Reconnects (with a fresh snapshot) when the stream drops.
 */
export function useLiveProducts(token: string): Live<ProductView[]> {
  const [state, setState] = useState<Live<ProductView[]>>({
    value: undefined,
    error: undefined,
    connected: false,
  });
  useEffect(() => {
    const abort = new AbortController();
    void (async () => {
      while (!abort.signal.aborted) {
        try {
          const response = await call("inventory", "/products/stream", token, {
            headers: { accept: "text/event-stream" },
            signal: abort.signal,
          });
          setState((s) => ({ ...s, error: undefined, connected: true }));
          for await (const message of serverSentEvents(response)) {
            if (message.event === "snapshot") {
              const parsed = JSON.parse(message.data) as ProductView[] | { items: ProductView[] };
              const items = Array.isArray(parsed) ? parsed : parsed.items;
              setState({
                value: [...items].sort((a, b) => a.sku.localeCompare(b.sku)),
                error: undefined,
                connected: true,
              });
            } else if (message.event === "product") {
              const product = JSON.parse(message.data) as ProductView;
              setState((s) => {
                const others = (s.value ?? []).filter((p) => p.sku !== product.sku);
                return { ...s, value: [...others, product].sort((a, b) => a.sku.localeCompare(b.sku)) };
              });
            }
          }
          setState((s) => ({ ...s, connected: false }));
        } catch (error) {
          if (abort.signal.aborted) return;
          setState((s) => ({ ...s, error, connected: false }));
          if (error instanceof ApiError && error.status === 401) return;
        }
        await waitOrAbort(RECONNECT_MS, abort.signal);
      }
    })();
    return () => abort.abort();
  }, [token]);
  return state;
}

/** One order, kept current by its `/orders/{id}/events` stream until it can change no more. */
export function useLiveOrder(
  token: string,
  orderId: string,
  onChange?: (order: OrderView) => void,
): Live<OrderView> {
  const [state, setState] = useState<Live<OrderView>>({
    value: undefined,
    error: undefined,
    connected: false,
  });
  useEffect(() => {
    const abort = new AbortController();
    setState({ value: undefined, error: undefined, connected: false });
    void (async () => {
      let lastId: string | undefined;
      let latest: OrderView | undefined;
      while (!abort.signal.aborted) {
        try {
          const response = await call("order", `/orders/${encodeURIComponent(orderId)}/events`, token, {
            headers: { accept: "text/event-stream", ...(lastId ? { "last-event-id": lastId } : {}) },
            signal: abort.signal,
          });
          setState((s) => ({ ...s, error: undefined, connected: true }));
          for await (const message of serverSentEvents(response)) {
            if (message.event !== "order") continue;
            lastId = message.id ?? lastId;
            latest = JSON.parse(message.data) as OrderView;
            const current = latest;
            setState({ value: current, error: undefined, connected: true });
            onChange?.(current);
          }
          setState((s) => ({ ...s, connected: false }));
          // The service ends the stream once the order is REJECTED or CANCELLED: nothing more to wait for.
          if (latest && (latest.status === "REJECTED" || latest.status === "CANCELLED")) return;
        } catch (error) {
          if (abort.signal.aborted) return;
          setState((s) => ({ ...s, error, connected: false }));
          if (error instanceof ApiError && (error.status === 401 || error.status === 404)) return;
        }
        await waitOrAbort(RECONNECT_MS, abort.signal);
      }
    })();
    return () => abort.abort();
  }, [token, orderId]);
  return state;
}

/** A one-off read that can be reloaded; `reload` returns when the new value is in. */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]) {
  const [state, setState] = useState<{ value: T | undefined; error: unknown; loading: boolean }>({
    value: undefined,
    error: undefined,
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const abort = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(abort.signal).then(
      (value) => !abort.signal.aborted && setState({ value, error: undefined, loading: false }),
      (error: unknown) => !abort.signal.aborted && setState((s) => ({ ...s, error, loading: false })),
    );
    return () => abort.abort();
  }, [...deps, generation]);
  return { ...state, reload: () => setGeneration((g) => g + 1) };
}

export const isFinal = (order: OrderView | undefined) =>
  order !== undefined && FINAL_STATUSES.has(order.status);

export { callJson };
