import { createHmac } from "node:crypto";

const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

/** A JWT with any header and payload, signed HMAC-`hash` with `secret` (or not signed at all). */
export function craftToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signing: { secret: string; hash?: "sha256" | "sha384" | "sha512" } | "unsigned",
): string {
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  if (signing === "unsigned") return `${unsigned}.`;
  const signature = createHmac(signing.hash ?? "sha256", signing.secret)
    .update(unsigned)
    .digest();
  return `${unsigned}.${base64url(signature)}`;
}

const now = () => Math.floor(Date.now() / 1000);

/**
 * Tokens that must all be refused with 401, named after what is wrong with them. Each claims the
 * admin role, so a service that trusted any of them would also grant the most.
 */
export function refusedTokens(secret: string, sub = "mallory"): Record<string, string> {
  const claims = { sub, roles: ["admin"], iat: now() - 10, exp: now() + 3600 };
  const hs256 = { alg: "HS256", typ: "JWT" };
  return {
    "alg none": craftToken({ alg: "none", typ: "JWT" }, claims, "unsigned"),
    "alg none with a signature": `${craftToken({ alg: "none", typ: "JWT" }, claims, "unsigned")}c2lnbmF0dXJl`,
    "HS256 with no signature": craftToken(hs256, claims, "unsigned"),
    "signed with another secret": craftToken(hs256, claims, { secret: `${secret}-but-not-quite` }),
    "HS512 with the right secret": craftToken({ alg: "HS512", typ: "JWT" }, claims, {
      secret,
      hash: "sha512",
    }),
    "RS256 header, HMAC signature": craftToken({ alg: "RS256", typ: "JWT" }, claims, { secret }),
    expired: craftToken(hs256, { ...claims, iat: now() - 7200, exp: now() - 60 }, { secret }),
    "without exp": craftToken(hs256, { sub, roles: ["admin"], iat: now() }, { secret }),
    "exp as text": craftToken(hs256, { ...claims, exp: String(now() + 3600) }, { secret }),
    "not yet valid (nbf)": craftToken(hs256, { ...claims, nbf: now() + 3600 }, { secret }),
    "without sub": craftToken(hs256, { roles: ["admin"], exp: now() + 3600 }, { secret }),
    "a sub that is not an id": craftToken(hs256, { ...claims, sub: "../admin\u0000" }, { secret }),
    "a payload that is not JSON": `${base64url(JSON.stringify(hs256))}.${base64url("{not json")}.${base64url("x")}`,
    "a tampered payload": (() => {
      const [header, , signature] = craftToken(hs256, { ...claims, roles: [] }, { secret }).split(".");
      return `${header}.${base64url(JSON.stringify(claims))}.${signature}`;
    })(),
  };
}
