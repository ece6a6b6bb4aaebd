/** The bearer token: from the `#token=` fragment or the sign-in box, kept in sessionStorage only. */

const KEY = "stocksaga.token";

export interface Session {
  token: string;
  subject: string;
  isAdmin: boolean;
  expiresAt: Date;
}

export class TokenProblem extends Error {}

function decodeSegment(segment: string): unknown {
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/**
 * Reads what a token says about its holder. The signature is the services' to check: this only
 * catches what can be told without the secret (not a JWT, expired) to say so clearly.
 */
export function sessionOf(token: string, now: Date = new Date()): Session {
  const parts = token.trim().split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)) || !parts[0] || !parts[1]) {
    throw new TokenProblem("This is not a token: a token is three dot-separated base64url parts (eyJ…).");
  }
  let claims: unknown;
  try {
    claims = decodeSegment(parts[1]);
  } catch {
    throw new TokenProblem("This token cannot be read: its payload is not JSON.");
  }
  if (typeof claims !== "object" || claims === null)
    throw new TokenProblem("This token's payload is not an object.");
  const { sub, exp, roles } = claims as { sub?: unknown; exp?: unknown; roles?: unknown };
  if (typeof sub !== "string" || sub === "") throw new TokenProblem("This token names no subject (sub).");
  if (typeof exp !== "number")
    throw new TokenProblem("This token has no expiry (exp); the services refuse it.");
  const expiresAt = new Date(exp * 1000);
  if (expiresAt.getTime() <= now.getTime()) {
    throw new TokenProblem(
      `This token expired at ${expiresAt.toISOString().replace("T", " ").slice(0, 19)} UTC. Get a new one: npm run token -- --sub ${sub}.`,
    );
  }
  return {
    token: token.trim(),
    subject: sub,
    isAdmin: Array.isArray(roles) && roles.includes("admin"),
    expiresAt,
  };
}

/** Moves a `#token=…` fragment into sessionStorage and out of the address bar and history. */
export function takeTokenFromFragment(): string | undefined {
  const match = /^#token=([^&]+)/.exec(window.location.hash);
  if (!match?.[1]) return undefined;
  const token = decodeURIComponent(match[1]);
  history.replaceState(null, "", `${window.location.pathname}${window.location.search}#/`);
  return token;
}

export function storedToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
