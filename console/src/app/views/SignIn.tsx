import { useState } from "preact/hooks";
import { ApiError, call } from "../api.js";
import { type Session, sessionOf, TokenProblem } from "../auth.js";

/** Checks a token with the order service (it alone knows the secret) before anything else uses it. */
export async function verifiedSession(token: string): Promise<Session> {
  const session = sessionOf(token);
  try {
    await call("order", "/orders?limit=1", session.token);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      throw new TokenProblem(
        `The services refused this token (${error.detail ?? error.title}). It may be signed with another secret or malformed; get a new one with npm run token.`,
      );
    }
    throw error;
  }
  return session;
}

export function SignIn({
  problem,
  onSignedIn,
}: {
  problem: string | undefined;
  onSignedIn: (s: Session) => void;
}) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [checking, setChecking] = useState(false);
  const shown = error ?? problem;

  async function submit(event: Event) {
    event.preventDefault();
    setChecking(true);
    try {
      onSignedIn(await verifiedSession(text));
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setChecking(false);
    }
  }

  return (
    <main class="signin">
      <h1>Sign in</h1>
      <p>
        Open a sign-in link printed by <code>npm start</code> (<code>…/#token=…</code>), or paste a bearer
        token (<code>npm run token -- --sub alice</code>).
      </p>
      {shown ? (
        <div class="notice error" role="alert" id="signin-error">
          <strong>Not signed in</strong>
          <p>{shown}</p>
        </div>
      ) : null}
      <form onSubmit={submit}>
        <label for="token-input">Bearer token</label>
        <textarea
          id="token-input"
          name="token"
          rows={4}
          autocomplete="off"
          spellcheck={false}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          required
        />
        <button type="submit" disabled={checking}>
          {checking ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
