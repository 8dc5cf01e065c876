// The first run after sign-up: name, photo, interests, activities and mode, radius; then
// "discovery ready". Each step saves as it goes, so leaving halfway keeps what was done.
// The step lives in the address (`?step=photo`), so a reload stays on it.

import { useState } from "preact/hooks";
import { session } from "../../api/session";
import { navigate } from "../../router";
import type { RouteProps } from "../../routes";
import { Field, FormError, useSubmit } from "../../ui/forms";
import { Icon } from "../../ui/icons";
import { Button, LoadError, Loading } from "../../ui/kit";
import { useLoad } from "../../ui/use-load";
import { accountApi, type Mode, type Preferences, type Profile, type Taxonomy } from "./api";
import { describeMeters } from "./logic";
import { ActivityPicker, AuthCard, InterestPicker, ModePicker, RadiusSlider } from "./parts";
import { PhotoPicker } from "./photo-picker";

const STEPS = ["name", "photo", "interests", "activities", "radius", "ready"] as const;
type Step = (typeof STEPS)[number];

interface Data {
  /** The address awaiting confirmation, if it does. */
  unverified: string | null;
  profile: Profile;
  taxonomy: Taxonomy;
  preferences: Preferences;
}

export function Onboarding({ query }: RouteProps) {
  const loaded = useLoad<Data>(async () => {
    const [profile, taxonomy, preferences, me] = await Promise.all([
      accountApi.profile(),
      accountApi.taxonomy(),
      accountApi.preferences(),
      accountApi.authMe(),
    ]);
    return { profile, taxonomy, preferences, unverified: me.emailVerified ? null : me.email };
  });
  const asked = query.get("step") as Step | null;
  const step: Step = asked && STEPS.includes(asked) ? asked : "name";
  if (loaded.state === "loading") {
    return (
      <AuthCard title="Getting you set up">
        <Loading />
      </AuthCard>
    );
  }
  if (loaded.state === "failed") {
    return (
      <AuthCard title="Getting you set up">
        <LoadError message={loaded.message} retry={loaded.reload} />
      </AuthCard>
    );
  }
  const data = loaded.value;
  const index = STEPS.indexOf(step);
  const go = (to: Step) => navigate(`/onboarding?step=${to}`);
  const onward = () => go(STEPS[index + 1] ?? "ready");
  const setProfile = (profile: Profile) => loaded.set({ ...data, profile });
  const props = { data, setProfile, onward };
  return (
    <div class="onboarding">
      {step !== "ready" && (
        <div class="progress">
          {index > 0 && (
            <a class="back" href={`#/onboarding?step=${STEPS[index - 1]}`} aria-label="Back">
              ‹
            </a>
          )}
          <progress
            max={STEPS.length - 1}
            value={index + 1}
            aria-label={`Step ${index + 1} of ${STEPS.length - 1}`}
          />
          <a class="skip" href={`#/onboarding?step=${STEPS[index + 1] ?? "ready"}`}>
            Skip
          </a>
        </div>
      )}
      {step === "name" && <NameStep {...props} />}
      {step === "photo" && <PhotoStep {...props} />}
      {step === "interests" && <InterestsStep {...props} />}
      {step === "activities" && <ActivitiesStep {...props} />}
      {step === "radius" && (
        <RadiusStep
          {...props}
          setPreferences={(preferences) => loaded.set({ ...data, preferences })}
        />
      )}
      {step === "ready" && <Ready data={data} />}
    </div>
  );
}

interface StepProps {
  data: Data;
  setProfile: (profile: Profile) => void;
  onward: () => void;
}

function NameStep({ data, setProfile, onward }: StepProps) {
  const [firstName, setFirstName] = useState(data.profile.firstName);
  const [lastName, setLastName] = useState(data.profile.lastName);
  const [bio, setBio] = useState(data.profile.bio);
  const email = data.unverified;
  const form = useSubmit(async () => {
    const profile = await accountApi.updateProfile({
      firstName: firstName.trim(),
      lastName: lastName.trim(),
      bio: bio.trim(),
    });
    session.updateUser({ name: `${profile.firstName} ${profile.lastName}`.trim() });
    setProfile(profile);
    onward();
  });
  return (
    <AuthCard
      title="What should people call you?"
      lead="Strangers nearby see your first name only."
    >
      {email && (
        <p class="notice">
          We've emailed a link to <strong>{email}</strong> to confirm it's you. Carry on here
          meanwhile.
        </p>
      )}
      <form onSubmit={form.submit} noValidate>
        <Field
          label="First name"
          name="firstName"
          value={firstName}
          onValue={setFirstName}
          error={form.fieldErrors.firstName}
          autocomplete="given-name"
        />
        <Field
          label="Last name"
          name="lastName"
          value={lastName}
          onValue={setLastName}
          error={form.fieldErrors.lastName}
          autocomplete="family-name"
        />
        <BioField value={bio} onValue={setBio} error={form.fieldErrors.bio} />
        <FormError message={form.error} />
        <Button type="submit" busy={form.busy}>
          Continue
        </Button>
      </form>
    </AuthCard>
  );
}

export function BioField({
  value,
  onValue,
  error,
}: {
  value: string;
  onValue: (bio: string) => void;
  error?: string | undefined;
}) {
  return (
    <div class={`field${error ? " invalid" : ""}`}>
      <label for="bio">About you (optional)</label>
      <textarea
        id="bio"
        name="bio"
        maxLength={500}
        value={value}
        aria-describedby={error ? "bio-hint bio-error" : "bio-hint"}
        onInput={(event) => onValue(event.currentTarget.value)}
      />
      <p class="hint" id="bio-hint">
        {500 - value.length} characters left. Only matches see it unless you choose otherwise.
      </p>
      {error && (
        <p class="field-error" id="bio-error">
          {error}
        </p>
      )}
    </div>
  );
}

function PhotoStep({ data, setProfile, onward }: StepProps) {
  const { profile } = data;
  return (
    <AuthCard title="Add a photo" lead="A clear photo of you helps a match recognise you.">
      <PhotoPicker
        photoUrl={profile.photoUrl}
        first={profile.firstName}
        last={profile.lastName}
        onUploaded={(photoUrl) => setProfile({ ...profile, photoUrl })}
      />
      <Button onClick={onward}>Continue</Button>
    </AuthCard>
  );
}

function InterestsStep({ data, setProfile, onward }: StepProps) {
  const [interests, setInterests] = useState(data.profile.interests);
  const form = useSubmit(async () => {
    setProfile(await accountApi.updateProfile({ interests }));
    onward();
  });
  return (
    <AuthCard
      title="What are you into?"
      lead="Disco tells you about people nearby who share at least one of these."
    >
      <form onSubmit={form.submit} noValidate>
        <InterestPicker
          taxonomy={data.taxonomy}
          chosen={interests}
          onChange={setInterests}
          error={form.fieldErrors.interests}
        />
        <FormError message={form.error} />
        <Button type="submit" busy={form.busy} disabled={interests.length === 0}>
          Continue
        </Button>
      </form>
    </AuthCard>
  );
}

function ActivitiesStep({ data, setProfile, onward }: StepProps) {
  const [activities, setActivities] = useState(data.profile.activities);
  const [mode, setMode] = useState<Mode>(data.profile.mode);
  const form = useSubmit(async () => {
    setProfile(await accountApi.updateProfile({ activities, mode }));
    onward();
  });
  return (
    <AuthCard title="How do you like to meet?">
      <form onSubmit={form.submit} noValidate>
        <ModePicker mode={mode} onMode={setMode} />
        <ActivityPicker
          activities={data.taxonomy.activities}
          chosen={activities}
          onChange={setActivities}
        />
        <FormError message={form.error ?? form.fieldErrors.activities ?? null} />
        <Button type="submit" busy={form.busy}>
          Continue
        </Button>
      </form>
    </AuthCard>
  );
}

function RadiusStep({
  data,
  onward,
  setPreferences,
}: StepProps & { setPreferences: (preferences: Preferences) => void }) {
  const [meters, setMeters] = useState(data.preferences.discoveryRadiusMeters);
  const form = useSubmit(async () => {
    setPreferences(
      await accountApi.savePreferences({ ...data.preferences, discoveryRadiusMeters: meters }),
    );
    onward();
  });
  return (
    <AuthCard
      title="How near is nearby?"
      lead="You hear about people within this distance. They never see where you are."
    >
      <form onSubmit={form.submit} noValidate>
        <RadiusSlider meters={meters} onMeters={setMeters} />
        <FormError message={form.error ?? form.fieldErrors.discoveryRadiusMeters ?? null} />
        <Button type="submit" busy={form.busy}>
          Continue
        </Button>
      </form>
    </AuthCard>
  );
}

function Ready({ data }: { data: Data }) {
  const { profile, preferences } = data;
  return (
    <AuthCard
      title="Discovery ready"
      lead="You're all set. Switch discovery on whenever you want to be found — and off again in a tap."
    >
      <div class="ready-badge" aria-hidden="true">
        <Icon name="check" size={34} />
      </div>
      <ul class="summary">
        <li>
          <span class="summary-label">Name</span>
          <span>{`${profile.firstName} ${profile.lastName}`.trim()}</span>
        </li>
        <li>
          <span class="summary-label">Interests</span>
          <span>{profile.interests.join(", ") || "None yet"}</span>
        </li>
        <li>
          <span class="summary-label">Mode</span>
          <span>{profile.mode === "social" ? "Social" : "Professional"}</span>
        </li>
        <li>
          <span class="summary-label">Radius</span>
          <span>{describeMeters(preferences.discoveryRadiusMeters)}</span>
        </li>
      </ul>
      <a class="btn btn-primary block" href="#/discover">
        Go to Discover
      </a>
      <a class="btn btn-ghost block" href="#/me">
        Review my profile
      </a>
    </AuthCard>
  );
}
