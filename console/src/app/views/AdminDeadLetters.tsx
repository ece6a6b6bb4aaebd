import { useRef, useState } from "preact/hooks";
import { ApiError, callJson, type DeadLetterView, type ServiceName } from "../api.js";
import type { Session } from "../auth.js";
import { useResource } from "../live.js";
import { ErrorNotice, formatTime, Loading } from "./common.js";

const SERVICES: readonly ServiceName[] = ["order", "inventory"];

export function AdminDeadLetters({ session }: { session: Session }) {
  return (
    <main class="dead-letters">
      <h1>Dead letters</h1>
      <p class="muted">
        Messages a consumer could not process, set aside on its topic's dead-letter topic. Replay one to its
        origin topic once the cause is fixed.
      </p>
      {SERVICES.map((service) => (
        <ServiceLetters key={service} session={session} service={service} />
      ))}
    </main>
  );
}

function ServiceLetters({ session, service }: { session: Session; service: ServiceName }) {
  const letters = useResource(
    (signal) =>
      callJson<{ items: DeadLetterView[] }>(
        "order" === service ? "order" : "inventory",
        "/admin/dead-letters?limit=50",
        session.token,
        {
          signal,
        },
      ),
    [session.token, service],
  );
  return (
    <section aria-labelledby={`dl-${service}`} data-service={service}>
      <h2 id={`dl-${service}`}>
        Read by the {service} service{" "}
        <button
          type="button"
          class="secondary small"
          onClick={letters.reload}
          aria-label={`Reload the ${service} service's dead letters`}
        >
          Reload
        </button>
      </h2>
      <ErrorNotice error={letters.error} />
      {letters.value ? (
        letters.value.items.length === 0 ? (
          <p class="muted">No dead letters.</p>
        ) : (
          <ul class="letters">
            {letters.value.items.map((letter) => (
              <Letter
                key={letter.id}
                letter={letter}
                service={service}
                session={session}
                onReplayed={letters.reload}
              />
            ))}
          </ul>
        )
      ) : (
        <Loading what="dead letters" />
      )}
    </section>
  );
}

function Letter({
  letter,
  service,
  session,
  onReplayed,
}: {
  letter: DeadLetterView;
  service: ServiceName;
  session: Session;
  onReplayed: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [force, setForce] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [refused, setRefused] = useState<ApiError | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);

  function ask(forced: boolean) {
    setForce(forced);
    dialog.current?.showModal();
  }

  async function replay() {
    dialog.current?.close();
    setError(undefined);
    setDone(undefined);
    try {
      await callJson<{ letter: DeadLetterView }>(
        service,
        `/admin/dead-letters/${encodeURIComponent(letter.id)}/replay`,
        session.token,
        {
          method: "POST",
          json: force ? { force: true } : {},
        },
      );
      setRefused(undefined);
      setDone(`Replayed to ${letter.origin.topic}${force ? " (forced)" : ""}.`);
      onReplayed();
    } catch (failure) {
      if (
        failure instanceof ApiError &&
        failure.status === 409 &&
        failure.type?.endsWith("already-replayed")
      ) {
        setRefused(failure);
      } else setError(failure);
    }
  }

  const lastReplay = letter.replays.at(-1);
  return (
    <li class="letter" data-dead-letter-id={letter.id} data-replays={letter.replays.length}>
      <h3>
        <code>{letter.reason}</code> <span class="muted">{formatTime(letter.failedAt)}</span>
      </h3>
      <p>{letter.detail}</p>
      <dl class="facts">
        <dt>Origin</dt>
        <dd>
          <code>
            {letter.origin.topic}/{letter.origin.partition}@{String(letter.origin.offset)}
          </code>{" "}
          (group <code>{letter.origin.consumerGroup}</code>)
        </dd>
        <dt>Key</dt>
        <dd>
          <code>{letter.key ?? "none"}</code>
        </dd>
        <dt>Replays</dt>
        <dd>
          {letter.replays.length === 0
            ? "never replayed"
            : letter.replays
                .map((r) => `${formatTime(r.at)} by ${r.by}${r.forced ? " (forced)" : ""}`)
                .join("; ")}
        </dd>
      </dl>
      <details>
        <summary>
          Payload{" "}
          {letter.payload.decoded
            ? `(${letter.payload.type}, schema ${letter.payload.schemaId})`
            : "(raw bytes)"}
        </summary>
        {letter.payload.decoded ? (
          <pre class="payload">{JSON.stringify(letter.payload.value, null, 2)}</pre>
        ) : (
          <>
            <p class="muted">Not decodable: {letter.payload.error}</p>
            <pre class="payload hex">{letter.payload.hex.replace(/(.{2})/g, "$1 ").trim()}</pre>
          </>
        )}
      </details>
      <button type="button" onClick={() => ask(false)}>
        Replay
      </button>
      {done ? (
        <p class="notice ok" role="status">
          {done}
        </p>
      ) : null}
      {refused ? (
        <div class="notice warn" role="alert">
          <strong>{refused.title}</strong>
          <p>
            {refused.detail ?? "This dead letter was replayed before."}{" "}
            {lastReplay ? `Last replay: ${formatTime(lastReplay.at)} by ${lastReplay.by}.` : ""} Replaying
            again delivers the same message a second time; consumers drop a duplicate they already processed.
          </p>
          <button type="button" class="danger" onClick={() => ask(true)}>
            Force another replay
          </button>
        </div>
      ) : null}
      <ErrorNotice error={error} />
      <dialog ref={dialog} aria-labelledby={`confirm-${letter.id}`} class="confirm">
        <div>
          <h3 id={`confirm-${letter.id}`}>{force ? "Force a replay?" : "Replay this dead letter?"}</h3>
          <p>
            Writes the original message back to <code>{letter.origin.topic}</code>
            {force ? ", although it was replayed before" : ""}. Do this once its cause is fixed.
          </p>
          <div class="actions">
            <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
              Keep it
            </button>
            <button type="button" class={force ? "danger" : ""} onClick={replay}>
              {force ? "Force replay" : "Replay"}
            </button>
          </div>
        </div>
      </dialog>
    </li>
  );
}
