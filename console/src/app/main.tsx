import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import {
  forgetToken,
  type Session,
  sessionOf,
  storedToken,
  storeToken,
  TokenProblem,
  takeTokenFromFragment,
} from "./auth.js";
import { useRoute } from "./router.js";
import "./styles.css";
import { AdminDeadLetters } from "./views/AdminDeadLetters.js";
import { AdminProducts } from "./views/AdminProducts.js";
import { type CartState, emptyCart, Home } from "./views/Home.js";
import { OrderPage } from "./views/OrderPage.js";
import { Orders } from "./views/Orders.js";
import { SignIn, verifiedSession } from "./views/SignIn.js";

type Auth = { state: "checking" } | { state: "out"; problem?: string } | { state: "in"; session: Session };

function App() {
  const [auth, setAuth] = useState<Auth>({ state: "checking" });
  const [cart, setCartState] = useState<CartState>(emptyCart);
  const route = useRoute();

  useEffect(() => {
    const fromFragment = takeTokenFromFragment();
    const token = fromFragment ?? storedToken();
    if (!token) {
      setAuth({ state: "out" });
      return;
    }
    verifiedSession(token).then(
      (session) => {
        storeToken(session.token);
        setAuth({ state: "in", session });
      },
      (error: unknown) => {
        forgetToken();
        setAuth({ state: "out", problem: error instanceof Error ? error.message : String(error) });
      },
    );
  }, []);

  // A session ends with its token: say so instead of failing every call with 401.
  useEffect(() => {
    if (auth.state !== "in") return;
    const left = auth.session.expiresAt.getTime() - Date.now();
    const timer = setTimeout(
      () => {
        forgetToken();
        try {
          sessionOf(auth.session.token);
          setAuth({ state: "out" });
        } catch (error) {
          setAuth({
            state: "out",
            problem: error instanceof TokenProblem ? error.message : "Your session ended.",
          });
        }
      },
      Math.min(Math.max(left, 0), 2 ** 31 - 1),
    );
    return () => clearTimeout(timer);
  }, [auth]);

  if (auth.state === "checking") return <p class="muted">Signing in…</p>;
  if (auth.state === "out") {
    return (
      <SignIn
        problem={auth.problem}
        onSignedIn={(session) => {
          storeToken(session.token);
          setAuth({ state: "in", session });
        }}
      />
    );
  }
  const { session } = auth;
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById("content")?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <strong class="brand">stocksaga</strong>
        <nav aria-label="Main">
          <a href="#/" aria-current={route.page === "home" ? "page" : undefined}>
            Shop
          </a>
          <a href="#/orders" aria-current={route.page === "orders" ? "page" : undefined}>
            {session.isAdmin ? "Orders" : "My orders"}
          </a>
          {session.isAdmin ? (
            <>
              <a href="#/admin/products" aria-current={route.page === "admin-products" ? "page" : undefined}>
                Products
              </a>
              <a
                href="#/admin/dead-letters"
                aria-current={route.page === "admin-dead-letters" ? "page" : undefined}
              >
                Dead letters
              </a>
            </>
          ) : null}
        </nav>
        <span class="who">
          {session.subject}
          {session.isAdmin ? " (admin)" : ""}{" "}
          <button
            type="button"
            class="secondary small"
            onClick={() => {
              forgetToken();
              setAuth({ state: "out" });
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <div id="content" tabIndex={-1}>
        {route.page === "home" ? (
          <Home session={session} cart={cart} setCart={(update) => setCartState(update)} />
        ) : route.page === "orders" ? (
          <Orders session={session} />
        ) : route.page === "order" ? (
          <OrderPage key={route.orderId} session={session} orderId={route.orderId} />
        ) : route.page === "admin-products" ? (
          session.isAdmin ? (
            <AdminProducts session={session} />
          ) : (
            <NeedsAdmin />
          )
        ) : route.page === "admin-dead-letters" ? (
          session.isAdmin ? (
            <AdminDeadLetters session={session} />
          ) : (
            <NeedsAdmin />
          )
        ) : (
          <main>
            <h1>Not found</h1>
            <p>
              Nothing lives at <code>{route.path}</code>. <a href="#/">Back to the shop</a>.
            </p>
          </main>
        )}
      </div>
    </>
  );
}

function NeedsAdmin() {
  return (
    <main>
      <h1>Admin only</h1>
      <p>This page needs a token with the admin role (npm run token -- --sub admin --admin).</p>
    </main>
  );
}

const root = document.getElementById("root");
if (root) render(<App />, root);
