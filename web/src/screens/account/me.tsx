// The person's hub: who they are on Disco, and the way to every setting.

import { useState } from "preact/hooks";
import { messageOf } from "../../api/client";
import { Icon, type IconName } from "../../ui/icons";
import { Button, Card, LoadError, Loading, Screen } from "../../ui/kit";
import { useLoad } from "../../ui/use-load";
import { type AuthMe, accountApi, type Profile, signOut } from "./api";
import { activityLabel } from "./logic";
import { Avatar } from "./parts";

const SETTINGS: { href: string; icon: IconName; title: string; text: string }[] = [
  {
    href: "/settings/profile",
    icon: "edit",
    title: "Profile and photo",
    text: "Name, bio, interests",
  },
  {
    href: "/settings/discovery",
    icon: "near",
    title: "Discovery",
    text: "Radius, times, ages, mode",
  },
  {
    href: "/settings/privacy",
    icon: "eye",
    title: "Privacy",
    text: "Who sees what, chat receipts",
  },
  { href: "/safety/contacts", icon: "contacts", title: "Emergency contacts", text: "Who we alert" },
  { href: "/safety/zones", icon: "home", title: "Privacy zones", text: "Places you stay hidden" },
  {
    href: "/settings/blocks",
    icon: "no-entry",
    title: "Blocked people",
    text: "Review and unblock",
  },
  { href: "/settings/security", icon: "key", title: "Two-factor sign-in", text: "Codes and QR" },
  { href: "/settings/account", icon: "gear", title: "Account", text: "Export, deactivate, delete" },
];

export function Me() {
  const loaded = useLoad(() => Promise.all([accountApi.profile(), accountApi.authMe()]));
  return (
    <Screen title="Me">
      {loaded.state === "loading" && <Loading />}
      {loaded.state === "failed" && <LoadError message={loaded.message} retry={loaded.reload} />}
      {loaded.state === "ready" && <ProfileCard profile={loaded.value[0]} me={loaded.value[1]} />}
      <nav aria-label="Settings">
        <ul class="settings-list card">
          {SETTINGS.map((item) => (
            <li key={item.href}>
              <a href={`#${item.href}`}>
                <span class="icon-tile settings-icon" aria-hidden="true">
                  <Icon name={item.icon} />
                </span>
                <span class="grow">
                  <span class="settings-title">{item.title}</span>
                  <span class="settings-text">{item.text}</span>
                </span>
                <span class="chevron" aria-hidden="true">
                  ›
                </span>
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <Button variant="secondary" class="btn btn-secondary block" onClick={() => void signOut()}>
        Sign out
      </Button>
    </Screen>
  );
}

function ProfileCard({ profile, me }: { profile: Profile; me: AuthMe }) {
  return (
    <Card class="profile-card">
      <div class="profile-top">
        <Avatar photoUrl={profile.photoUrl} first={profile.firstName} last={profile.lastName} />
        <div class="grow">
          <h2 class="profile-name">{`${profile.firstName} ${profile.lastName}`.trim()}</h2>
          <p class="muted">
            {profile.mode === "social" ? "Social" : "Professional"} · {me.email}
          </p>
        </div>
      </div>
      {profile.deactivated && (
        <p class="notice warning">Your account is paused: nobody can discover you.</p>
      )}
      {!me.emailVerified && <VerifyReminder />}
      {profile.bio && <p class="profile-bio">{profile.bio}</p>}
      {profile.interests.length > 0 && (
        <ul class="chips" aria-label="Interests">
          {profile.interests.map((tag) => (
            <li key={tag} class="chip">
              {tag}
            </li>
          ))}
        </ul>
      )}
      {profile.activities.length > 0 && (
        <p class="muted">Up for: {profile.activities.map(activityLabel).join(", ")}</p>
      )}
      <a class="btn btn-secondary block profile-edit" href="#/settings/profile">
        Edit profile
      </a>
    </Card>
  );
}

function VerifyReminder() {
  const [state, setState] = useState<"idle" | "busy" | "sent">("idle");
  const [error, setError] = useState<string | null>(null);
  const resend = async () => {
    setState("busy");
    setError(null);
    try {
      await accountApi.resendVerification();
      setState("sent");
    } catch (caught) {
      setError(messageOf(caught));
      setState("idle");
    }
  };
  return (
    <div class="notice warning">
      <p>Please confirm your email address: the link is in the mail we sent you.</p>
      {state === "sent" ? (
        <p role="status">A new link is on its way.</p>
      ) : (
        <button type="button" class="link" disabled={state === "busy"} onClick={resend}>
          Send the link again
        </button>
      )}
      {error && <p role="alert">{error}</p>}
    </div>
  );
}
