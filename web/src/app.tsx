// The app's frame: the current screen, the tab bar, the live connection's state, the
// emergency button (reachable from every signed-in screen) and the live notices.

import { useEffect } from "preact/hooks";
import { liveState, reconnectNow, retryAt } from "./api/live";
import { current } from "./api/session";
import { here, match, navigate } from "./router";
import { type Route, routes } from "./routes";
import { totalUnread } from "./screens/chat/store";
import { NotificationsBell } from "./screens/discover/notifications-bell";
import { EmergencyButton } from "./screens/safety/emergency-button";
import { Icon, type IconName } from "./ui/icons";
import { Toasts } from "./ui/toasts";

const TABS: { href: string; label: string; icon: IconName }[] = [
  { href: "/discover", label: "Discover", icon: "discover" },
  { href: "/matches", label: "Matches", icon: "matches" },
  { href: "/safety", label: "Safety", icon: "safety" },
  { href: "/me", label: "Me", icon: "me" },
];

function resolve(path: string): { route: Route; params: Record<string, string> } | null {
  for (const route of routes) {
    const params = match(route.path, path);
    if (params) return { route, params };
  }
  return null;
}

function Connection() {
  const state = liveState.value;
  if (state === "connected" || !current.value) return null;
  const text =
    state === "connecting"
      ? "Connecting…"
      : navigator.onLine
        ? "Reconnecting to Disco…"
        : "You are offline. Disco will reconnect when you are back.";
  return (
    <div class="connection" role="status">
      <span>{text}</span>
      {state === "disconnected" && retryAt.value !== null && (
        <button type="button" class="link" onClick={reconnectNow}>
          Retry now
        </button>
      )}
    </div>
  );
}

function TabBar({ path }: { path: string }) {
  const unread = totalUnread.value;
  return (
    <nav class="tabbar" aria-label="Main">
      {TABS.map((tab) => {
        const active = path === tab.href || path.startsWith(`${tab.href}/`);
        return (
          <a key={tab.href} href={`#${tab.href}`} aria-current={active ? "page" : undefined}>
            <Icon name={tab.icon} size={24} />
            <span>{tab.label}</span>
            {tab.href === "/matches" && unread > 0 && (
              <span class="badge tab-badge">
                {unread > 99 ? "99+" : unread}
                <span class="visually-hidden"> unread</span>
              </span>
            )}
          </a>
        );
      })}
    </nav>
  );
}

function NotFound() {
  return (
    <section class="screen">
      <h1>Nothing here</h1>
      <p>
        This page does not exist. <a href="#/">Go to the start</a>.
      </p>
    </section>
  );
}

export function App() {
  const { path, query } = here.value;
  const signedIn = current.value !== null;
  const found = path === "/" ? null : resolve(path);
  const detour =
    path === "/"
      ? signedIn
        ? "/discover"
        : "/welcome"
      : found?.route.access === "signedIn" && !signedIn
        ? `/login?next=${encodeURIComponent(path)}`
        : found?.route.access === "signedOut" && signedIn
          ? "/discover"
          : null;
  useEffect(() => {
    if (detour) navigate(detour, { replace: true });
  }, [detour]);
  if (detour) return null;
  const Screen = found?.route.component ?? NotFound;
  const chrome = signedIn && found?.route.access === "signedIn" && !found.route.bare;
  return (
    <div class={`app${chrome ? " with-chrome" : ""}`}>
      <header class="topbar">
        <a class="brand" href="#/">
          Disco
        </a>
        {chrome && <NotificationsBell />}
      </header>
      <Connection />
      <main id="main">
        <Screen key={path} params={found?.params ?? {}} query={query} />
      </main>
      {chrome && <EmergencyButton />}
      {chrome && <TabBar path={path} />}
      <Toasts />
    </div>
  );
}
