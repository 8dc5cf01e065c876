import type { Route } from "../../routes";
import { AlertScreen } from "./alert-screen";
import { CheckinScreen } from "./checkin";
import { CheckinsScreen } from "./checkins";
import { ContactConfirmScreen } from "./contact-confirm";
import { ContactsScreen } from "./contacts";
import { SafetyHub } from "./hub";
import { LiveViewScreen } from "./live-view";
import { ModerationScreen } from "./moderation";
import { PinScreen } from "./pin-screen";
import { RateScreen } from "./rating";
import { ReportsScreen } from "./reports";
import { ZonesScreen } from "./zones";
import "./safety.css";

export const safetyRoutes: Route[] = [
  { path: "/safety", component: SafetyHub, access: "signedIn" },
  { path: "/safety/contacts", component: ContactsScreen, access: "signedIn" },
  { path: "/safety/pin", component: PinScreen, access: "signedIn" },
  { path: "/safety/checkins", component: CheckinsScreen, access: "signedIn" },
  { path: "/safety/checkins/:id", component: CheckinScreen, access: "signedIn" },
  { path: "/safety/rate/:matchId", component: RateScreen, access: "signedIn" },
  { path: "/safety/zones", component: ZonesScreen, access: "signedIn" },
  { path: "/safety/reports", component: ReportsScreen, access: "signedIn" },
  // Nothing else on screen while an alert is on: no tabs to wander off to by mistake.
  { path: "/alert", component: AlertScreen, access: "signedIn", bare: true },
  // The page an alert mail links to: for anyone holding the link, signed in or not.
  { path: "/live/:token", component: LiveViewScreen, access: "public", bare: true },
  { path: "/moderation", component: ModerationScreen, access: "signedIn" },
  // The page a contact-confirmation mail links to (no account needed).
  { path: "/contacts/confirm", component: ContactConfirmScreen, access: "public", bare: true },
];
