// Settings: the profile others see (name, photo, bio, birth date, interests, activities, mode).

import { useState } from "preact/hooks";
import { session } from "../../api/session";
import { Field, FormError, useSubmit } from "../../ui/forms";
import { Button, Card, LoadError, Loading, Screen } from "../../ui/kit";
import { toast } from "../../ui/toasts";
import { useLoad } from "../../ui/use-load";
import { accountApi, type Mode, type Profile, type Taxonomy } from "./api";
import { BioField } from "./onboarding";
import { ActivityPicker, InterestPicker, ModePicker } from "./parts";
import { PhotoPicker } from "./photo-picker";

export function ProfileSettings() {
  const loaded = useLoad(() => Promise.all([accountApi.profile(), accountApi.taxonomy()]));
  return (
    <Screen title="Profile and photo" back="/me">
      {loaded.state === "loading" && <Loading />}
      {loaded.state === "failed" && <LoadError message={loaded.message} retry={loaded.reload} />}
      {loaded.state === "ready" && (
        <ProfileForm profile={loaded.value[0]} taxonomy={loaded.value[1]} />
      )}
    </Screen>
  );
}

function ProfileForm({ profile, taxonomy }: { profile: Profile; taxonomy: Taxonomy }) {
  const [photoUrl, setPhotoUrl] = useState(profile.photoUrl);
  const [firstName, setFirstName] = useState(profile.firstName);
  const [lastName, setLastName] = useState(profile.lastName);
  const [bio, setBio] = useState(profile.bio);
  const [birthDate, setBirthDate] = useState(profile.birthDate ?? "");
  const [interests, setInterests] = useState(profile.interests);
  const [activities, setActivities] = useState(profile.activities);
  const [mode, setMode] = useState<Mode>(profile.mode);
  const form = useSubmit(async () => {
    const saved = await accountApi.updateProfile({
      firstName: firstName.trim(),
      lastName: lastName.trim(),
      bio: bio.trim(),
      birthDate: birthDate || null,
      interests,
      activities,
      mode,
    });
    session.updateUser({ name: `${saved.firstName} ${saved.lastName}`.trim() });
    setInterests(saved.interests);
    toast("Profile saved.", { tone: "success" });
  });
  return (
    <>
      <Card>
        <h2 class="card-title">Photo</h2>
        <PhotoPicker
          photoUrl={photoUrl}
          first={firstName}
          last={lastName}
          onUploaded={setPhotoUrl}
        />
      </Card>
      <form onSubmit={form.submit} noValidate>
        <Card>
          <h2 class="card-title">About you</h2>
          <div class="two-up">
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
          </div>
          <BioField value={bio} onValue={setBio} error={form.fieldErrors.bio} />
          <Field
            label="Birth date (optional)"
            name="birthDate"
            type="date"
            value={birthDate}
            onValue={setBirthDate}
            error={form.fieldErrors.birthDate}
            hint="Used only for the age ranges people choose; never shown."
            autocomplete="bday"
          />
        </Card>
        <Card>
          <h2 class="card-title">Interests</h2>
          <InterestPicker
            taxonomy={taxonomy}
            chosen={interests}
            onChange={setInterests}
            error={form.fieldErrors.interests}
          />
        </Card>
        <Card>
          <ModePicker mode={mode} onMode={setMode} />
          <ActivityPicker
            activities={taxonomy.activities}
            chosen={activities}
            onChange={setActivities}
          />
        </Card>
        <FormError
          message={form.error ?? form.fieldErrors.activities ?? form.fieldErrors.mode ?? null}
        />
        <div class="sticky-save">
          <Button type="submit" busy={form.busy}>
            Save profile
          </Button>
        </div>
      </form>
    </>
  );
}
