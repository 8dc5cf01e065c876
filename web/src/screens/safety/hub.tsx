// The Safety tab: how the emergency button works, and each safety setting with its state at a
// glance (PIN, contacts, check-ins, privacy zones, reports), plus moderation for moderators.

import { current } from "../../api/session";
import { plural } from "../../ui/format";
import { Icon, type IconName } from "../../ui/icons";
import { Screen } from "../../ui/kit";
import { useLoad } from "../../ui/use-load";
import { type Checkin, type Contact, type Report, safetyApi, type Zone } from "./api";
import { dayAndTime } from "./format";
import { isModerator } from "./roles";

interface Summary {
  pinSet: boolean;
  contacts: Contact[];
  checkins: Checkin[];
  zones: Zone[];
  reports: Report[];
}

async function summary(): Promise<Summary> {
  const [pin, contacts, checkins, zones, reports] = await Promise.all([
    safetyApi.pinState(),
    safetyApi.contacts(),
    safetyApi.checkins(),
    safetyApi.zones(),
    safetyApi.reports(),
  ]);
  return {
    pinSet: pin.set,
    contacts: contacts.contacts,
    checkins: checkins.checkins,
    zones: zones.zones,
    reports: reports.reports,
  };
}

function Row({
  href,
  icon,
  title,
  state,
  warn,
}: {
  href: string;
  icon: IconName;
  title: string;
  state: string;
  warn?: boolean;
}) {
  return (
    <li>
      <a class="hub-row" href={`#${href}`}>
        <span class="icon-tile">
          <Icon name={icon} size={22} />
        </span>
        <span class="grow">
          <span class="hub-title">{title}</span>
          <span class={`hub-state${warn ? " warn" : ""}`}>
            {warn && <span aria-hidden="true">! </span>}
            {state}
          </span>
        </span>
        <span class="hub-chevron" aria-hidden="true">
          ›
        </span>
      </a>
    </li>
  );
}

function states(s: Summary | null) {
  if (!s) return null;
  const confirmed = s.contacts.filter((c) => c.status === "confirmed").length;
  const pending = s.contacts.length - confirmed;
  const next = s.checkins
    .filter((c) => c.status === "ACTIVE" || c.status === "ESCALATED")
    .sort((a, b) => a.dueAt.localeCompare(b.dueAt))[0];
  const open = s.reports.filter((r) => r.status === "OPEN").length;
  return {
    pin: s.pinSet ? "Set: an alert ends only with it" : "Not set yet",
    contacts:
      s.contacts.length === 0
        ? "None yet: nobody would be told"
        : [plural(confirmed, "confirmed"), pending ? `${pending} waiting to confirm` : ""]
            .filter(Boolean)
            .join(" · "),
    noContact: confirmed === 0,
    checkin: next ? `Next: ${dayAndTime(next.dueAt)}` : "Plan one before you meet someone",
    zones: s.zones.length ? plural(s.zones.length, "zone") : "None: you are visible everywhere",
    reports: s.reports.length
      ? `${plural(s.reports.length, "report")}${open ? ` · ${open} being reviewed` : ""}`
      : "You have not reported anyone",
  };
}

export function SafetyHub() {
  const loaded = useLoad(summary);
  const data = loaded.state === "ready" ? loaded.value : null;
  const error = loaded.state === "failed" ? loaded.message : null;
  const s = states(data);
  const moderator = isModerator(current.value?.user, current.value?.token);
  const dots = error ? "Not loaded" : "…";
  return (
    <Screen title="Safety">
      <div class="card hub-sos">
        <span class="hub-sos-badge" aria-hidden="true">
          SOS
        </span>
        <div>
          <h2>In an emergency</h2>
          <p>
            Hold the red SOS button for 2 seconds, on any screen, or tap it and let the 5-second
            countdown run. Your emergency contacts are told at once and can follow where you are.
          </p>
        </div>
      </div>
      {error && (
        <div class="load-error" role="alert">
          <p>{error}</p>
          <button type="button" class="btn btn-secondary" onClick={loaded.reload}>
            Try again
          </button>
        </div>
      )}
      {s && (!data?.pinSet || s.noContact) && (
        <p class="notice warning">
          {s.noContact
            ? "Add an emergency contact: an alert reaches only contacts who confirmed."
            : "Set a safety PIN so you can end an alert yourself."}
        </p>
      )}
      <ul class="card hub-list">
        <Row
          href="/safety/contacts"
          icon="contacts"
          title="Emergency contacts"
          state={s?.contacts ?? dots}
          warn={s?.noContact}
        />
        <Row
          href="/safety/pin"
          icon="lock"
          title="Safety PIN"
          state={s?.pin ?? dots}
          warn={data ? !data.pinSet : false}
        />
        <Row
          href="/safety/checkins"
          icon="clock"
          title="Meetup check-ins"
          state={s?.checkin ?? dots}
        />
        <Row href="/safety/zones" icon="home" title="Privacy zones" state={s?.zones ?? dots} />
        <Row href="/safety/reports" icon="flag" title="Your reports" state={s?.reports ?? dots} />
      </ul>
      {moderator && (
        <ul class="card hub-list">
          <Row
            href="/moderation"
            icon="scales"
            title="Moderation"
            state="Reports and active alerts"
          />
        </ul>
      )}
    </Screen>
  );
}
