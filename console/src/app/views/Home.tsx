import { useMemo, useState } from "preact/hooks";
import { ApiError, callJson, type Fulfilment, type OrderView, type ProductView } from "../api.js";
import type { Session } from "../auth.js";
import { useLiveProducts, useResource } from "../live.js";
import { orderHref } from "../router.js";
import { ErrorNotice, formatTime, Loading, StatusBadge } from "./common.js";
import { OrderList } from "./Orders.js";

export interface CartLine {
  sku: string;
  quantity: number;
}

export interface CartState {
  lines: CartLine[];
  fulfilment: Fulfilment;
  /** The key of the submission in flight or failed retryably: a retry sends the same one. */
  pendingKey: string | undefined;
}

export const emptyCart = (): CartState => ({ lines: [], fulfilment: "PARTIAL", pendingKey: undefined });

const SEARCH_FROM = 8;

export function Home({
  session,
  cart,
  setCart,
}: {
  session: Session;
  cart: CartState;
  setCart: (update: (cart: CartState) => CartState) => void;
}) {
  const products = useLiveProducts(session.token);
  const recent = useResource(
    (signal) => callJson<{ items: OrderView[] }>("order", "/orders?limit=5", session.token, { signal }),
    [session.token],
  );
  return (
    <main class="home">
      <section aria-labelledby="recent-title">
        <h2 id="recent-title">Recent orders</h2>
        <ErrorNotice error={recent.error} />
        {recent.value ? (
          <OrderList orders={recent.value.items} empty="No orders yet: fill the cart below." />
        ) : (
          <Loading what="orders" />
        )}
        <p>
          <a href="#/orders">All my orders</a>
        </p>
      </section>
      <Catalogue
        products={products.value}
        error={products.error}
        connected={products.connected}
        onAdd={(sku) =>
          setCart((c) =>
            c.lines.some((l) => l.sku === sku)
              ? { ...c, lines: c.lines.map((l) => (l.sku === sku ? { ...l, quantity: l.quantity + 1 } : l)) }
              : { ...c, lines: [...c.lines, { sku, quantity: 1 }] },
          )
        }
      />
      <Cart session={session} cart={cart} setCart={setCart} products={products.value ?? []} />
    </main>
  );
}

export function Catalogue({
  products,
  error,
  connected,
  onAdd,
  actions,
}: {
  products: ProductView[] | undefined;
  error: unknown;
  connected: boolean;
  onAdd?: (sku: string) => void;
  actions?: (product: ProductView) => preact.ComponentChildren;
}) {
  const [query, setQuery] = useState("");
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (products ?? []).filter(
      (p) => !q || p.sku.toLowerCase().includes(q) || p.name.toLowerCase().includes(q),
    );
  }, [products, query]);
  return (
    <section aria-labelledby="catalogue-title">
      <h2 id="catalogue-title">
        Catalogue{" "}
        <span class={`live ${connected ? "on" : "off"}`} title={connected ? "live" : "not live"}>
          {connected ? "live" : "offline"}
        </span>
      </h2>
      <ErrorNotice error={error} />
      {products && products.length >= SEARCH_FROM ? (
        <div class="search">
          <label for="catalogue-search">Search products</label>
          <input
            id="catalogue-search"
            type="search"
            value={query}
            placeholder="SKU or name"
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
        </div>
      ) : null}
      {products === undefined ? (
        <Loading what="products" />
      ) : shown.length === 0 ? (
        <p class="muted">{products.length === 0 ? "The catalogue is empty." : "No product matches."}</p>
      ) : (
        <div class="table-wrap">
          <table class="products">
            <thead>
              <tr>
                <th scope="col">SKU</th>
                <th scope="col">Name</th>
                <th scope="col" class="num">
                  Available
                </th>
                <th scope="col" class="num">
                  On hand
                </th>
                <th scope="col" class="num">
                  Reserved
                </th>
                {onAdd || actions ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {shown.map((p) => (
                <tr key={p.sku} data-sku={p.sku} data-available={p.available}>
                  <td>
                    <code>{p.sku}</code>
                  </td>
                  <td>{p.name}</td>
                  <td class="num available">{p.available}</td>
                  <td class="num">{p.onHand}</td>
                  <td class="num">{p.reserved}</td>
                  {onAdd || actions ? (
                    <td>
                      {onAdd ? (
                        <button
                          type="button"
                          onClick={() => onAdd(p.sku)}
                          aria-label={`Add ${p.sku} to the cart`}
                        >
                          Add
                        </button>
                      ) : null}
                      {actions?.(p)}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Cart({
  session,
  cart,
  setCart,
  products,
}: {
  session: Session;
  cart: CartState;
  setCart: (update: (cart: CartState) => CartState) => void;
  products: ProductView[];
}) {
  const [error, setError] = useState<unknown>(undefined);
  const [sending, setSending] = useState(false);
  const [newSku, setNewSku] = useState("");

  async function submit(event: Event) {
    event.preventDefault();
    const key = cart.pendingKey ?? crypto.randomUUID();
    setCart((c) => ({ ...c, pendingKey: key }));
    setSending(true);
    setError(undefined);
    try {
      const order = await callJson<OrderView>("order", "/orders", session.token, {
        method: "POST",
        headers: { "idempotency-key": key },
        json: { items: cart.lines, fulfilment: cart.fulfilment },
      });
      setCart(() => emptyCart());
      window.location.hash = orderHref(order.orderId);
    } catch (failure) {
      setError(failure);
      // A refusal of the order itself will be refused again: the next submission is a new one.
      if (!(failure instanceof ApiError && failure.retryable))
        setCart((c) => ({ ...c, pendingKey: undefined }));
    } finally {
      setSending(false);
    }
  }

  function edit(update: (lines: CartLine[]) => CartLine[]) {
    // A changed cart is another order: it gets a key of its own.
    setCart((c) => ({ ...c, lines: update(c.lines), pendingKey: undefined }));
  }

  return (
    <section aria-labelledby="cart-title">
      <h2 id="cart-title">Cart</h2>
      <form onSubmit={submit} class="cart">
        {cart.lines.length === 0 ? (
          <p class="muted">The cart is empty: add products from the catalogue.</p>
        ) : null}
        <ul class="cart-lines">
          {cart.lines.map((line, index) => {
            const product = products.find((p) => p.sku === line.sku);
            const id = `cart-qty-${index}`;
            return (
              <li key={line.sku} data-cart-sku={line.sku}>
                <label for={id}>
                  <code>{line.sku}</code> {product ? `— ${product.name}` : ""} quantity
                </label>
                <input
                  id={id}
                  type="number"
                  min={1}
                  max={1000}
                  required
                  value={line.quantity}
                  onInput={(e) => {
                    const quantity = Number(e.currentTarget.value);
                    edit((lines) => lines.map((l) => (l.sku === line.sku ? { ...l, quantity } : l)));
                  }}
                />
                <button
                  type="button"
                  class="secondary"
                  onClick={() => edit((lines) => lines.filter((l) => l.sku !== line.sku))}
                  aria-label={`Remove ${line.sku} from the cart`}
                >
                  Remove
                </button>
              </li>
            );
          })}
        </ul>
        <div class="add-sku">
          <label for="cart-add-sku">Add a SKU by name</label>
          <input id="cart-add-sku" value={newSku} onInput={(e) => setNewSku(e.currentTarget.value)} />
          <button
            type="button"
            class="secondary"
            disabled={!newSku.trim()}
            onClick={() => {
              const sku = newSku.trim();
              if (!cart.lines.some((l) => l.sku === sku)) edit((lines) => [...lines, { sku, quantity: 1 }]);
              setNewSku("");
            }}
          >
            Add SKU
          </button>
        </div>
        <fieldset>
          <legend>If some stock is missing</legend>
          <label>
            <input
              type="radio"
              name="fulfilment"
              value="PARTIAL"
              checked={cart.fulfilment === "PARTIAL"}
              onChange={() => setCart((c) => ({ ...c, fulfilment: "PARTIAL", pendingKey: undefined }))}
            />{" "}
            PARTIAL: take what there is
          </label>
          <label>
            <input
              type="radio"
              name="fulfilment"
              value="ALL_OR_NOTHING"
              checked={cart.fulfilment === "ALL_OR_NOTHING"}
              onChange={() => setCart((c) => ({ ...c, fulfilment: "ALL_OR_NOTHING", pendingKey: undefined }))}
            />{" "}
            ALL_OR_NOTHING: the whole order or none of it
          </label>
        </fieldset>
        <ErrorNotice error={error} />
        <button type="submit" disabled={sending || cart.lines.length === 0}>
          {sending ? "Placing…" : error && cart.pendingKey ? "Retry placing the order" : "Place order"}
        </button>
        {cart.pendingKey ? (
          <p class="muted small">
            Idempotency key of this submission: <code>{cart.pendingKey}</code>
          </p>
        ) : null}
      </form>
    </section>
  );
}

export function OrderSummary({ order }: { order: OrderView }) {
  return (
    <span>
      <StatusBadge status={order.status} /> {formatTime(order.createdAt)}
    </span>
  );
}
