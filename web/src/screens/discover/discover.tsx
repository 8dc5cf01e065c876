// The Discover screen: the switch, requests waiting for an answer, the radar and the people
// near, with states that say what is going on (loading, nobody near, a location not used).

import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { liveState } from "../../api/live";
import { session } from "../../api/session";
import { Icon } from "../../ui/icons";
import { Empty, LoadError, Loading, Screen } from "../../ui/kit";
import { discovery, discoveryError, fix, loadDiscovery } from "./location";
import {
  connections,
  connectionsError,
  nearby,
  nearbyError,
  refreshConnections,
  refreshNearby,
} from "./people";
import { PersonCard, Requests } from "./person-card";
import { Radar } from "./radar";
import { SwitchCard } from "./switch-card";

// People leave range silently: the list is read again this often while the screen is open.
const REFRESH_MS = 20_000;

function Near() {
  const people = nearby.value;
  const state = fix.value;
  const title = (
    <h2 id="dsc-near-title" class="dsc-near-title">
      Near you now
    </h2>
  );
  let body: ComponentChildren;
  if (nearbyError.value && people === null) {
    body = <LoadError message={nearbyError.value} retry={() => void refreshNearby()} />;
  } else if (people === null) {
    body = <Loading label="Looking around…" />;
  } else if (people.length === 0 && state.kind === "refused") {
    // Not "nobody near": nobody can see this person, and the switch card says why.
    body = (
      <Empty title="Your location was not used">
        <p>Until it is, nobody near can see you and you won't see them. See why above.</p>
      </Empty>
    );
  } else if (people.length === 0) {
    body = (
      <Empty title="Nobody near right now">
        <p>We'll tell you the moment someone who shares your interests is.</p>
      </Empty>
    );
  } else {
    body = (
      <ul class="list dsc-people" aria-label="People near you">
        {people.map((person) => (
          <PersonCard key={person.userId} person={person} />
        ))}
      </ul>
    );
  }
  return (
    <section aria-labelledby="dsc-near-title" aria-busy={people === null}>
      {title}
      <Radar viewerId={session.user?.id ?? ""} people={people ?? []} />
      {body}
    </section>
  );
}

export function DiscoverScreen() {
  const on = discovery.value?.enabled ?? false;
  useEffect(() => {
    if (discovery.value === null) void loadDiscovery();
    void refreshConnections();
  }, []);
  useEffect(() => {
    if (!on) return;
    void refreshNearby();
    const timer = setInterval(() => void refreshNearby(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [on]);
  const incoming = (connections.value ?? []).filter(
    (c) => c.direction === "incoming" && c.status === "pending",
  );
  return (
    <Screen
      title="Discover"
      actions={
        <a class="btn btn-ghost dsc-events-link" href="#/events">
          <Icon name="calendar" /> Events
        </a>
      }
    >
      {discovery.value === null && discoveryError.value ? (
        <LoadError message={discoveryError.value} retry={() => void loadDiscovery()} />
      ) : discovery.value === null ? (
        <Loading />
      ) : (
        <SwitchCard />
      )}
      {connectionsError.value && (
        <LoadError message={connectionsError.value} retry={() => void refreshConnections()} />
      )}
      <Requests incoming={incoming} />
      {on && <Near />}
      {on && liveState.value !== "connected" && (
        <p class="hint">Live notices resume when the connection is back.</p>
      )}
      {!on && discovery.value !== null && (
        <div class="dsc-off-tips">
          <p class="muted">
            Discovery works best out and about: at a café, a meetup, a conference. Or see what's on
            at <a href="#/events">local events nearby</a>.
          </p>
        </div>
      )}
    </Screen>
  );
}
