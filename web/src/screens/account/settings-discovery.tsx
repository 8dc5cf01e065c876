// Settings: discovery preferences — radius, the times of the week to be discoverable, the
// age range to hear about, and the mode.

import { useState } from "preact/hooks";
import { FormError, useSubmit } from "../../ui/forms";
import { Button, Card, LoadError, Loading, Screen, Toggle } from "../../ui/kit";
import { toast } from "../../ui/toasts";
import { useLoad } from "../../ui/use-load";
import { accountApi, type Mode, type Preferences, type TimeWindow, type Weekday } from "./api";
import { describeDays, WEEKDAYS } from "./logic";
import { ModePicker, RadiusSlider } from "./parts";

const MIN_AGE = 18;
const MAX_AGE = 120;

function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function DiscoverySettings() {
  const loaded = useLoad(() => Promise.all([accountApi.preferences(), accountApi.profile()]));
  return (
    <Screen title="Discovery" back="/me">
      {loaded.state === "loading" && <Loading />}
      {loaded.state === "failed" && <LoadError message={loaded.message} retry={loaded.reload} />}
      {loaded.state === "ready" && (
        <PreferencesForm preferences={loaded.value[0]} mode={loaded.value[1].mode} />
      )}
    </Screen>
  );
}

function PreferencesForm({
  preferences,
  mode: savedMode,
}: {
  preferences: Preferences;
  mode: Mode;
}) {
  const [radius, setRadius] = useState(preferences.discoveryRadiusMeters);
  const [windows, setWindows] = useState<TimeWindow[]>(preferences.timeWindows);
  const [anyAge, setAnyAge] = useState(preferences.ageRange === null);
  const [minAge, setMinAge] = useState(String(preferences.ageRange?.min ?? 25));
  const [maxAge, setMaxAge] = useState(String(preferences.ageRange?.max ?? 45));
  const [mode, setMode] = useState<Mode>(savedMode);
  const [professionalOnly, setProfessionalOnly] = useState(preferences.professionalOnly);
  const form = useSubmit(async () => {
    await accountApi.savePreferences({
      discoveryRadiusMeters: radius,
      timeWindows: windows,
      ageRange: anyAge ? null : { min: Number(minAge), max: Number(maxAge) },
      professionalOnly,
    });
    if (mode !== savedMode) await accountApi.updateProfile({ mode });
    toast("Discovery preferences saved.", { tone: "success" });
  });
  const ageError = form.fieldErrors.min ?? form.fieldErrors.max ?? form.fieldErrors.ageRange;
  return (
    <form onSubmit={form.submit} noValidate>
      <Card>
        <RadiusSlider meters={radius} onMeters={setRadius} />
        <p class="hint">People further away than this are never suggested to you.</p>
      </Card>
      <Card>
        <h2 class="card-title">When you can be discovered</h2>
        <p class="hint">
          Outside these times discovery stays off, even if you leave it switched on. No times means
          any time.
        </p>
        {windows.length === 0 && <p class="muted">Any time.</p>}
        <ol class="windows">
          {windows.map((window, index) => (
            <WindowEditor
              key={index}
              index={index}
              window={window}
              onChange={(changed) => setWindows(windows.map((w, i) => (i === index ? changed : w)))}
              onRemove={() => setWindows(windows.filter((_, i) => i !== index))}
            />
          ))}
        </ol>
        {form.fieldErrors.timeWindows && <p class="field-error">{form.fieldErrors.timeWindows}</p>}
        <Button
          variant="secondary"
          onClick={() =>
            setWindows([
              ...windows,
              {
                days: ["mon", "tue", "wed", "thu", "fri"],
                start: "12:00",
                end: "14:00",
                tz: browserZone(),
              },
            ])
          }
        >
          + Add a time window
        </Button>
      </Card>
      <Card>
        <h2 class="card-title">Ages</h2>
        <Toggle label="Any age (18+)" checked={anyAge} onChange={setAnyAge} />
        {!anyAge && (
          <fieldset class={`plain age-range${ageError ? " invalid" : ""}`}>
            <legend class="visually-hidden">Age range</legend>
            <div class="two-up">
              <div class="field">
                <label for="age-min">From age</label>
                <input
                  id="age-min"
                  type="number"
                  inputMode="numeric"
                  min={MIN_AGE}
                  max={MAX_AGE}
                  value={minAge}
                  onInput={(event) => setMinAge(event.currentTarget.value)}
                  aria-describedby={ageError ? "age-error" : undefined}
                />
              </div>
              <div class="field">
                <label for="age-max">To age</label>
                <input
                  id="age-max"
                  type="number"
                  inputMode="numeric"
                  min={MIN_AGE}
                  max={MAX_AGE}
                  value={maxAge}
                  onInput={(event) => setMaxAge(event.currentTarget.value)}
                  aria-describedby={ageError ? "age-error" : undefined}
                />
              </div>
            </div>
            {ageError && (
              <p class="field-error" id="age-error">
                {ageError}
              </p>
            )}
          </fieldset>
        )}
      </Card>
      <Card>
        <ModePicker mode={mode} onMode={setMode} />
        <Toggle
          label="Only professionals"
          hint="Hear only about people in professional mode."
          checked={professionalOnly}
          onChange={setProfessionalOnly}
        />
      </Card>
      <FormError message={form.error ?? form.fieldErrors.discoveryRadiusMeters ?? null} />
      <div class="sticky-save">
        <Button type="submit" busy={form.busy}>
          Save preferences
        </Button>
      </div>
    </form>
  );
}

function WindowEditor({
  index,
  window,
  onChange,
  onRemove,
}: {
  index: number;
  window: TimeWindow;
  onChange: (window: TimeWindow) => void;
  onRemove: () => void;
}) {
  const n = index + 1;
  const toggle = (day: Weekday) =>
    onChange({
      ...window,
      days: window.days.includes(day)
        ? window.days.filter((d) => d !== day)
        : [...window.days, day],
    });
  return (
    <li class="window">
      <fieldset class="plain">
        <legend class="window-title">
          Time window {n}: {describeDays(window.days) || "no days"}, {window.start}–{window.end}
        </legend>
        <ul class="days" aria-label={`Days of time window ${n}`}>
          {WEEKDAYS.map((w) => (
            <li key={w.day}>
              <button
                type="button"
                class="day"
                aria-pressed={window.days.includes(w.day)}
                aria-label={w.long}
                onClick={() => toggle(w.day)}
              >
                {w.short.charAt(0)}
              </button>
            </li>
          ))}
        </ul>
        <div class="two-up">
          <div class="field">
            <label for={`window-${n}-start`}>From</label>
            <input
              id={`window-${n}-start`}
              type="time"
              value={window.start}
              onInput={(event) => onChange({ ...window, start: event.currentTarget.value })}
            />
          </div>
          <div class="field">
            <label for={`window-${n}-end`}>Until</label>
            <input
              id={`window-${n}-end`}
              type="time"
              value={window.end}
              onInput={(event) => onChange({ ...window, end: event.currentTarget.value })}
            />
          </div>
        </div>
        <p class="hint">Times in {window.tz}.</p>
        <button type="button" class="link danger-link" onClick={onRemove}>
          Remove time window {n}
        </button>
      </fieldset>
    </li>
  );
}
