import type { ComponentChildren } from "preact";
import { ApiError, describeError, type OrderStatus } from "../api.js";

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { hour12: false });
}

export function ErrorNotice({ error, children }: { error: unknown; children?: ComponentChildren }) {
  if (error === undefined || error === null) return null;
  const title = error instanceof ApiError ? error.title : "Something went wrong";
  return (
    <div class="notice error" role="alert">
      <strong>{error instanceof ApiError && error.overloaded ? "Busy" : title}</strong>
      <p>{describeError(error)}</p>
      {children}
    </div>
  );
}

export function StatusBadge({ status }: { status: OrderStatus | string }) {
  return <span class={`badge status-${status.toLowerCase()}`}>{status}</span>;
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" aria-live="polite">
      Loading {what}…
    </p>
  );
}
