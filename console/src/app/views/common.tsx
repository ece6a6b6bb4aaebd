import type { ComponentChildren } from "preact";
import { ApiError, describeError, type OrderStatus } from "../api.js";

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { hour12: false });
}

export function ErrorNotice({ error, children }: { error: unknown; children?: ComponentChildren }) {
  if (error === undefined || error === null) return null;
  const api = error instanceof ApiError ? error : undefined;
  const title = api ? (api.overloaded ? "Busy" : api.title) : "Something went wrong";
  const fields = api?.fieldErrors.map((e) => `${e.pointer}: ${e.detail}`).join("; ");
  const text =
    api && !api.overloaded ? [api.detail, fields].filter(Boolean).join(" — ") : describeError(error);
  return (
    <div class="notice error" role="alert" data-problem-status={api?.status}>
      <strong>{title}</strong>
      {text ? <p>{text}</p> : null}
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
