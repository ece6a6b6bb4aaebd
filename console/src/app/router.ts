import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "home" }
  | { page: "orders" }
  | { page: "order"; orderId: string }
  | { page: "admin-products" }
  | { page: "admin-dead-letters" }
  | { page: "not-found"; path: string };

export function routeOf(hash: string): Route {
  const path = hash.replace(/^#/, "") || "/";
  if (path === "/" || path === "" || path.startsWith("token=")) return { page: "home" };
  if (path === "/orders") return { page: "orders" };
  const order = /^\/orders\/([0-9A-Za-z-]{1,64})$/.exec(path);
  if (order?.[1]) return { page: "order", orderId: order[1] };
  if (path === "/admin/products") return { page: "admin-products" };
  if (path === "/admin/dead-letters") return { page: "admin-dead-letters" };
  return { page: "not-found", path };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(routeOf(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

export const orderHref = (orderId: string) => `#/orders/${orderId}`;
