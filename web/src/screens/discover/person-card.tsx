// One person near, or one request to connect: who, how far (a bucket), what you share, and
// what you can do about it (say hi; accept or decline).

import { authed } from "../../api/client";
import { initialOf } from "../../ui/format";
import { FormError, useSubmit } from "../../ui/forms";
import { Icon } from "../../ui/icons";
import { Button } from "../../ui/kit";
import type { Connection, NearbyPerson } from "./model";
import { connectionWith, replaceConnection } from "./people";
import { usePhoto } from "./photo";

/** The person's photo if they show you one, else their initial. */
export function Avatar({ userId, name }: { userId: string; name: string }) {
  const photo = usePhoto(userId);
  // Decorative: the name is written right beside it.
  if (photo) return <img class="dsc-avatar" src={photo} alt="" />;
  return (
    <span class="dsc-avatar" aria-hidden="true">
      {initialOf(name)}
    </span>
  );
}

/** Accept and Decline for a request to the person, each answer shown once beside them. */
export function Answer({ connection }: { connection: Connection }) {
  const accept = useSubmit(async () => {
    replaceConnection(
      await authed<Connection>(`/v1/connections/${connection.id}/accept`, { method: "POST" }),
    );
  });
  const decline = useSubmit(async () => {
    replaceConnection(
      await authed<Connection>(`/v1/connections/${connection.id}/decline`, { method: "POST" }),
    );
  });
  const busy = accept.busy || decline.busy;
  return (
    <div class="dsc-answer">
      <div class="row">
        <Button
          busy={accept.busy}
          disabled={busy}
          onClick={() => void accept.submit()}
          aria-label={`Accept ${connection.name}`}
        >
          Accept
        </Button>
        <Button
          variant="secondary"
          busy={decline.busy}
          disabled={busy}
          onClick={() => void decline.submit()}
          aria-label={`Decline ${connection.name}`}
        >
          Decline
        </Button>
      </div>
      <FormError message={accept.error ?? decline.error} />
    </div>
  );
}

function Action({ person }: { person: NearbyPerson }) {
  const connection = connectionWith(person.userId);
  const sayHi = useSubmit(async () => {
    replaceConnection(
      await authed<Connection>("/v1/connections", {
        method: "POST",
        body: { userId: person.userId },
      }),
    );
  });
  if (connection?.status === "accepted") {
    return (
      <a class="btn btn-secondary" href="#/matches">
        Matched · Open chats
      </a>
    );
  }
  if (connection?.direction === "incoming" && connection.status === "pending") {
    return (
      <p class="dsc-sent" role="status">
        <Icon name="star" size={16} /> {person.name} said hi: answer above.
      </p>
    );
  }
  if (connection?.direction === "outgoing") {
    return (
      <p class="dsc-sent" role="status">
        <Icon name="check" size={16} /> Hi sent. We'll tell you if {person.name} says hi back.
      </p>
    );
  }
  return (
    <div class="dsc-answer">
      <Button
        busy={sayHi.busy}
        onClick={() => void sayHi.submit()}
        aria-label={`Say hi to ${person.name}`}
      >
        <Icon name="wave" /> Say hi
      </Button>
      <FormError message={sayHi.error} />
    </div>
  );
}

export function PersonCard({ person }: { person: NearbyPerson }) {
  return (
    <li class="card dsc-person">
      <div class="dsc-person-head">
        <Avatar userId={person.userId} name={person.name} />
        <div class="grow">
          <h3 class="dsc-name">{person.name}</h3>
          <p class="dsc-bucket">
            <Icon name="near" size={16} /> {person.distance}
          </p>
        </div>
      </div>
      {person.sharedInterests.length > 0 && (
        <ul class="chips" aria-label={`Interests you share with ${person.name}`}>
          {person.sharedInterests.map((interest) => (
            <li key={interest} class="chip">
              {interest}
            </li>
          ))}
        </ul>
      )}
      <Action person={person} />
    </li>
  );
}

/** Requests to connect that wait for an answer (whether or not the person is near now). */
export function Requests({ incoming }: { incoming: Connection[] }) {
  if (incoming.length === 0) return null;
  return (
    <section aria-labelledby="dsc-requests-title" class="dsc-requests">
      <h2 id="dsc-requests-title">Want to connect with you</h2>
      <ul class="list dsc-request-list">
        {incoming.map((connection) => (
          <li key={connection.id} class="card dsc-request">
            <div class="dsc-person-head">
              <Avatar userId={connection.userId} name={connection.name} />
              <div class="grow">
                <h3 class="dsc-name">{connection.name}</h3>
                <p class="muted dsc-request-text">said hi. Accept to match and start a chat.</p>
              </div>
            </div>
            <Answer connection={connection} />
          </li>
        ))}
      </ul>
    </section>
  );
}
