import type { Route } from "../../routes";
import { DiscoverScreen } from "./discover";
import "./discover.css";
import { NewEventScreen } from "./event-form";
import { EventsScreen } from "./events";
import { NotificationsScreen } from "./notifications-screen";

export const discoverRoutes: Route[] = [
  { path: "/discover", component: DiscoverScreen, access: "signedIn" },
  { path: "/events", component: EventsScreen, access: "signedIn" },
  { path: "/events/new", component: NewEventScreen, access: "signedIn" },
  { path: "/notifications", component: NotificationsScreen, access: "signedIn" },
];
