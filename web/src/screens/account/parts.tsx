// Pieces the account screens share: the signed-out screens' frame, the avatar, the radius
// slider, and the pickers for interests, activities and mode.

import type { ComponentChildren } from "preact";
import { useEffect, useId, useState } from "preact/hooks";
import { useHeading } from "../../ui/use-heading";
import type { Mode, Taxonomy } from "./api";
import { photoObjectUrl } from "./api";
import {
  activityLabel,
  describeFeet,
  feetFromMeters,
  initials,
  MAX_RADIUS_FEET,
  MIN_RADIUS_FEET,
  metersFromFeet,
  RADIUS_STEP_FEET,
  resolveInterest,
  suggestInterests,
} from "./logic";

/** The signed-out screens: a centred card under the brand, its heading focused on arrival. */
export function AuthCard({
  title,
  lead,
  children,
  footer,
}: {
  title: string;
  lead?: ComponentChildren;
  children: ComponentChildren;
  footer?: ComponentChildren;
}) {
  const heading = useHeading(title);
  return (
    <section class="auth">
      <div class="auth-card">
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {lead && <p class="auth-lead">{lead}</p>}
        {children}
      </div>
      {footer && <div class="auth-footer">{footer}</div>}
    </section>
  );
}

/** The person's photo (fetched with their token), or their initials. */
export function Avatar({
  photoUrl,
  first,
  last,
  size = "large",
  preview,
}: {
  photoUrl: string | null;
  first: string;
  last?: string;
  size?: "large" | "small";
  /** A local picture to show instead (a photo just picked, before the upload answers). */
  preview?: string | null;
}) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    if (!photoUrl || preview) return;
    let url: string | null = null;
    let gone = false;
    photoObjectUrl(photoUrl)
      .then((made) => {
        url = made;
        if (gone) URL.revokeObjectURL(made);
        else setSrc(made);
      })
      .catch(() => setSrc(null)); // initials stand in for a photo that would not load
    return () => {
      gone = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [photoUrl, preview]);
  const shown = preview ?? src;
  return (
    <span class={`avatar avatar-${size}`}>
      {shown ? (
        <img src={shown} alt={first} />
      ) : (
        <span aria-hidden="true">{initials(first, last)}</span>
      )}
    </span>
  );
}

/** The discovery radius, 100 ft to a mile, read out in feet or miles. */
export function RadiusSlider({
  meters,
  onMeters,
}: {
  meters: number;
  onMeters: (meters: number) => void;
}) {
  const id = useId();
  const feet = feetFromMeters(meters);
  const text = describeFeet(feet);
  // The circle grows with the area covered, so a mile looks as much bigger as it is.
  const ring = 14 + 62 * Math.sqrt((feet - MIN_RADIUS_FEET) / (MAX_RADIUS_FEET - MIN_RADIUS_FEET));
  return (
    <div class="field radius">
      <svg class="radius-preview" viewBox="0 0 200 160" aria-hidden="true">
        <circle cx="100" cy="80" r="76" class="radius-limit" />
        <circle cx="100" cy="80" r={ring} class="radius-area" />
        <circle cx="100" cy="80" r="6" class="radius-you" />
      </svg>
      <div class="radius-head">
        <label for={id}>Discovery radius</label>
        <output for={id} class="radius-value">
          {text}
        </output>
      </div>
      <input
        id={id}
        type="range"
        min={MIN_RADIUS_FEET}
        max={MAX_RADIUS_FEET}
        step={RADIUS_STEP_FEET}
        value={feet}
        aria-valuetext={text}
        onInput={(event) => onMeters(metersFromFeet(Number(event.currentTarget.value)))}
      />
      <div class="radius-scale" aria-hidden="true">
        <span>100 ft</span>
        <span>1 mile</span>
      </div>
    </div>
  );
}

/** Interests: chosen ones as removable chips, a text box that suggests from the taxonomy. */
export function InterestPicker({
  taxonomy,
  chosen,
  onChange,
  error,
}: {
  taxonomy: Taxonomy;
  chosen: string[];
  onChange: (interests: string[]) => void;
  error?: string | undefined;
}) {
  const id = useId();
  const [typed, setTyped] = useState("");
  const [active, setActive] = useState(0);
  const suggestions = suggestInterests(typed, taxonomy, chosen);
  const open = suggestions.length > 0;
  const add = (tag: string) => {
    const resolved = resolveInterest(tag, taxonomy.synonyms);
    if (resolved && !chosen.includes(resolved)) onChange([...chosen, resolved]);
    setTyped("");
    setActive(0);
  };
  const onKey = (event: KeyboardEvent) => {
    if (event.key === "ArrowDown" && open) {
      event.preventDefault();
      setActive((active + 1) % suggestions.length);
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      setActive((active - 1 + suggestions.length) % suggestions.length);
    } else if (event.key === "Enter") {
      event.preventDefault();
      const pick = open ? suggestions[active] : typed;
      if (pick?.trim()) add(pick);
    } else if (event.key === "Escape") {
      setTyped("");
    }
  };
  const popular = Object.values(taxonomy.categories)
    .map((tags) => tags[0])
    .filter((tag): tag is string => !!tag && !chosen.includes(tag));
  return (
    <div class={`field interests${error ? " invalid" : ""}`}>
      <label for={id}>Add an interest</label>
      <div class="combo">
        <input
          id={id}
          type="text"
          role="combobox"
          autocomplete="off"
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls={`${id}-list`}
          aria-activedescendant={open ? `${id}-option-${active}` : undefined}
          aria-describedby={`${id}-hint${error ? ` ${id}-error` : ""}`}
          placeholder="Type: coffee, hiking, jazz…"
          value={typed}
          onInput={(event) => {
            setTyped(event.currentTarget.value);
            setActive(0);
          }}
          onKeyDown={onKey}
        />
        <div
          class="combo-list"
          id={`${id}-list`}
          role="listbox"
          aria-label="Suggestions"
          hidden={!open}
        >
          {suggestions.map((tag, index) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: the text box's arrow keys and Enter choose options
            <div
              tabIndex={-1}
              key={tag}
              id={`${id}-option-${index}`}
              role="option"
              aria-selected={index === active}
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => add(tag)}
            >
              {tag}
            </div>
          ))}
        </div>
      </div>
      <p class="hint" id={`${id}-hint`}>
        Pick from the suggestions or press Enter to add your own.
      </p>
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
      {chosen.length > 0 ? (
        <ul class="chips" aria-label="Your interests">
          {chosen.map((tag) => (
            <li key={tag}>
              <button
                type="button"
                class="chip chip-chosen"
                aria-label={`Remove ${tag}`}
                onClick={() => onChange(chosen.filter((t) => t !== tag))}
              >
                {tag} <span aria-hidden="true">×</span>
              </button>
            </li>
          ))}
        </ul>
      ) : (
        popular.length > 0 && (
          <div class="popular">
            <p class="hint">Popular on Disco</p>
            <ul class="chips">
              {popular.slice(0, 6).map((tag) => (
                <li key={tag}>
                  <button type="button" class="chip" onClick={() => add(tag)}>
                    + {tag}
                  </button>
                </li>
              ))}
            </ul>
          </div>
        )
      )}
    </div>
  );
}

/** Activities a person is up for, as toggle chips. */
export function ActivityPicker({
  activities,
  chosen,
  onChange,
}: {
  activities: string[];
  chosen: string[];
  onChange: (activities: string[]) => void;
}) {
  return (
    <fieldset class="plain">
      <legend class="label">I'm up for</legend>
      <ul class="chips chips-roomy">
        {activities.map((activity) => {
          const on = chosen.includes(activity);
          return (
            <li key={activity}>
              <button
                type="button"
                class="chip"
                aria-pressed={on}
                onClick={() =>
                  onChange(on ? chosen.filter((a) => a !== activity) : [...chosen, activity])
                }
              >
                {on && <span aria-hidden="true">✓ </span>}
                {activityLabel(activity)}
              </button>
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}

const MODES: { mode: Mode; title: string; text: string }[] = [
  { mode: "social", title: "Social", text: "Friends, dates and good company nearby." },
  { mode: "professional", title: "Professional", text: "Peers, mentors and co-founders nearby." },
];

/** Social or professional: two large radio cards. */
export function ModePicker({ mode, onMode }: { mode: Mode; onMode: (mode: Mode) => void }) {
  const name = useId();
  return (
    <fieldset class="plain">
      <legend class="label">Mode</legend>
      <div class="mode-cards">
        {MODES.map((item) => (
          <label key={item.mode} class={`mode-card${mode === item.mode ? " chosen" : ""}`}>
            <input
              type="radio"
              name={name}
              value={item.mode}
              checked={mode === item.mode}
              onChange={() => onMode(item.mode)}
            />
            <span class="mode-title">{item.title}</span>
            <span class="mode-text">{item.text}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
