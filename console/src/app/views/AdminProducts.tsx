import { useState } from "preact/hooks";
import { callJson, type ProductView, type ReservationView } from "../api.js";
import type { Session } from "../auth.js";
import { useLiveProducts } from "../live.js";
import { ErrorNotice } from "./common.js";
import { Catalogue } from "./Home.js";
import { Reservations } from "./OrderPage.js";

export function AdminProducts({ session }: { session: Session }) {
  const products = useLiveProducts(session.token);
  const [adjusting, setAdjusting] = useState<string | undefined>(undefined);
  return (
    <main class="admin-products">
      <h1>Products</h1>
      <CreateProduct session={session} />
      {adjusting ? (
        <AdjustStock
          session={session}
          product={products.value?.find((p) => p.sku === adjusting)}
          sku={adjusting}
          onDone={() => setAdjusting(undefined)}
        />
      ) : null}
      <Catalogue
        products={products.value}
        error={products.error}
        connected={products.connected}
        actions={(p) => (
          <button type="button" onClick={() => setAdjusting(p.sku)} aria-label={`Adjust stock of ${p.sku}`}>
            Adjust
          </button>
        )}
      />
      <ReservationLookup session={session} />
    </main>
  );
}

function CreateProduct({ session }: { session: Session }) {
  const [sku, setSku] = useState("");
  const [name, setName] = useState("");
  const [onHand, setOnHand] = useState("0");
  const [error, setError] = useState<unknown>(undefined);
  const [created, setCreated] = useState<string | undefined>(undefined);

  async function submit(event: Event) {
    event.preventDefault();
    setError(undefined);
    setCreated(undefined);
    try {
      const product = await callJson<ProductView>("inventory", "/products", session.token, {
        method: "POST",
        json: { sku: sku.trim(), name: name.trim(), onHand: Number(onHand) },
      });
      setCreated(product.sku);
      setSku("");
      setName("");
      setOnHand("0");
    } catch (failure) {
      setError(failure);
    }
  }

  return (
    <section aria-labelledby="create-title">
      <h2 id="create-title">New product</h2>
      <form class="inline-form" onSubmit={submit}>
        <div>
          <label for="new-sku">SKU</label>
          <input id="new-sku" required value={sku} onInput={(e) => setSku(e.currentTarget.value)} />
        </div>
        <div>
          <label for="new-name">Name</label>
          <input id="new-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div>
          <label for="new-on-hand">On hand</label>
          <input
            id="new-on-hand"
            type="number"
            min={0}
            required
            value={onHand}
            onInput={(e) => setOnHand(e.currentTarget.value)}
          />
        </div>
        <button type="submit">Create product</button>
      </form>
      <ErrorNotice error={error} />
      {created ? (
        <p class="notice ok" role="status">
          Created <code>{created}</code>.
        </p>
      ) : null}
    </section>
  );
}

function AdjustStock({
  session,
  sku,
  product,
  onDone,
}: {
  session: Session;
  sku: string;
  product: ProductView | undefined;
  onDone: () => void;
}) {
  const [delta, setDelta] = useState("");
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(undefined);

  async function submit(event: Event) {
    event.preventDefault();
    setError(undefined);
    try {
      await callJson<ProductView>(
        "inventory",
        `/products/${encodeURIComponent(sku)}/adjustments`,
        session.token,
        {
          method: "POST",
          json: { delta: Number(delta), reason: reason.trim() },
        },
      );
      onDone();
    } catch (failure) {
      setError(failure);
    }
  }

  return (
    <section aria-labelledby="adjust-title" class="panel">
      <h2 id="adjust-title">
        Adjust stock of <code>{sku}</code>
      </h2>
      {product ? (
        <p class="muted">
          On hand {product.onHand}, reserved {product.reserved}, available {product.available}.
        </p>
      ) : null}
      <form class="inline-form" onSubmit={submit}>
        <div>
          <label for="adjust-delta">Change (+ received, − lost)</label>
          <input
            id="adjust-delta"
            type="number"
            required
            value={delta}
            onInput={(e) => setDelta(e.currentTarget.value)}
          />
        </div>
        <div>
          <label for="adjust-reason">Reason</label>
          <input
            id="adjust-reason"
            required
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
        </div>
        <button type="submit">Apply adjustment</button>
        <button type="button" class="secondary" onClick={onDone}>
          Close
        </button>
      </form>
      <ErrorNotice error={error} />
    </section>
  );
}

function ReservationLookup({ session }: { session: Session }) {
  const [orderId, setOrderId] = useState("");
  const [found, setFound] = useState<ReservationView[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);

  async function submit(event: Event) {
    event.preventDefault();
    setError(undefined);
    setFound(undefined);
    try {
      const page = await callJson<{ items: ReservationView[] }>(
        "inventory",
        `/reservations?orderId=${encodeURIComponent(orderId.trim())}`,
        session.token,
      );
      setFound(page.items);
    } catch (failure) {
      setError(failure);
    }
  }

  return (
    <section aria-labelledby="lookup-title">
      <h2 id="lookup-title">Reservations of an order</h2>
      <form class="inline-form" onSubmit={submit}>
        <div>
          <label for="lookup-order">Order id</label>
          <input
            id="lookup-order"
            required
            value={orderId}
            onInput={(e) => setOrderId(e.currentTarget.value)}
          />
        </div>
        <button type="submit">Show reservations</button>
      </form>
      <ErrorNotice error={error} />
      {found ? <Reservations items={found} /> : null}
    </section>
  );
}
