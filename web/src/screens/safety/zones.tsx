// Privacy zones: places (home, work) where discovery never shows you. Placed from where the
// phone is now, or from typed coordinates; no map tiles are fetched.

import { useState } from "preact/hooks";
import { ApiError, messageOf } from "../../api/client";
import { Field, FormError, useSubmit } from "../../ui/forms";
import { Icon } from "../../ui/icons";
import { Button, Empty, LoadError, Loading, Screen } from "../../ui/kit";
import { useLoad } from "../../ui/use-load";
import { safetyApi, type Zone } from "./api";
import { currentPosition, formatPosition, parsePosition } from "./geo";

const RADII = [100, 200, 300, 500, 750, 1000];

function ZoneRow({ zone, onRemoved }: { zone: Zone; onRemoved: () => void }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <li class="zone">
      <span class="icon-tile">
        <Icon name="home" size={22} />
      </span>
      <div class="grow">
        <p class="contact-name">{zone.name}</p>
        <p class="muted contact-detail">
          {zone.radiusMeters} m around {formatPosition(zone)}
        </p>
        {problem && (
          <p class="field-error" role="alert">
            {problem}
          </p>
        )}
      </div>
      <Button
        variant="ghost"
        busy={busy}
        aria-label={`Remove ${zone.name}`}
        onClick={async () => {
          setBusy(true);
          setProblem(null);
          try {
            await safetyApi.removeZone(zone.id);
            onRemoved();
          } catch (error) {
            setProblem(messageOf(error));
            setBusy(false);
          }
        }}
      >
        Remove
      </Button>
    </li>
  );
}

function AddZone({ onAdded }: { onAdded: () => void }) {
  const [name, setName] = useState("");
  const [where, setWhere] = useState("");
  const [radius, setRadius] = useState(200);
  const [locating, setLocating] = useState(false);
  const [whereProblem, setWhereProblem] = useState<string | null>(null);
  const form = useSubmit(async () => {
    const position = parsePosition(where);
    if (!position) {
      throw new ApiError(422, "VALIDATION_FAILED", "", [
        { field: "where", message: "Type a latitude and a longitude, like 45.7642, 4.8357." },
      ]);
    }
    await safetyApi.addZone({ name: name.trim(), ...position, radiusMeters: radius });
    setName("");
    setWhere("");
    onAdded();
  });
  const useHere = async () => {
    setLocating(true);
    setWhereProblem(null);
    try {
      setWhere(formatPosition(await currentPosition()));
    } catch (error) {
      setWhereProblem(messageOf(error));
    } finally {
      setLocating(false);
    }
  };
  const whereError =
    form.fieldErrors.where ?? form.fieldErrors.latitude ?? form.fieldErrors.longitude;
  return (
    <form class="card" onSubmit={form.submit} noValidate>
      <h2>Add a zone</h2>
      <Field
        label="Name"
        name="name"
        value={name}
        onValue={setName}
        placeholder={"e.g. Home"}
        error={form.fieldErrors.name}
      />
      <Field
        label="Where (latitude, longitude)"
        name="where"
        value={where}
        onValue={setWhere}
        inputMode="decimal"
        autoComplete="off"
        error={whereError ?? whereProblem ?? undefined}
      />
      <Button variant="secondary" busy={locating} onClick={useHere}>
        Use my current position
      </Button>
      <div class="field zone-radius">
        <label for="zone-radius">Radius: {radius} m</label>
        <input
          id="zone-radius"
          type="range"
          min={100}
          max={1000}
          step={50}
          list="zone-radii"
          value={radius}
          onInput={(event) => setRadius(Number(event.currentTarget.value))}
        />
        <datalist id="zone-radii">
          {RADII.map((r) => (
            <option key={r} value={r} />
          ))}
        </datalist>
      </div>
      <FormError message={form.error} />
      <Button type="submit" busy={form.busy}>
        Add zone
      </Button>
    </form>
  );
}

export function ZonesScreen() {
  const loaded = useLoad(() => safetyApi.zones());
  const zones = loaded.state === "ready" ? loaded.value.zones : undefined;
  return (
    <Screen title="Privacy zones" back="/safety">
      <p class="muted">
        Inside a privacy zone Disco never shows you to anyone nearby, so nobody can learn where you
        live or work.
      </p>
      <div class="card">
        {loaded.state === "failed" ? (
          <LoadError message={loaded.message} retry={loaded.reload} />
        ) : !zones ? (
          <Loading />
        ) : zones.length === 0 ? (
          <Empty title="No privacy zones">
            Add your home, or anywhere you want to stay unseen.
          </Empty>
        ) : (
          <ul class="list" aria-label="Your privacy zones">
            {zones.map((zone) => (
              <ZoneRow key={zone.id} zone={zone} onRemoved={loaded.reload} />
            ))}
          </ul>
        )}
      </div>
      <AddZone onAdded={loaded.reload} />
    </Screen>
  );
}
