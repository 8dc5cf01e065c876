// Every screen and where it lives. Each area of the app lists its own routes in its index;
// a new screen is a component plus one line there.

import type { FunctionComponent } from "preact";
import { accountRoutes } from "./screens/account";
import { chatRoutes } from "./screens/chat";
import { discoverRoutes } from "./screens/discover";
import { safetyRoutes } from "./screens/safety";

export interface RouteProps {
  /** The path's ":name" parts. */
  params: Record<string, string>;
  /** The hash's query string ("#/reset-password?token=..."). */
  query: URLSearchParams;
}

export interface Route {
  path: string;
  component: FunctionComponent<RouteProps>;
  /** Who may open it: anyone, signed-in people only, or signed-out people only. */
  access: "public" | "signedIn" | "signedOut";
  /** The tab bar and emergency button show on signed-in screens unless this says otherwise. */
  bare?: boolean;
}

export const routes: Route[] = [
  ...accountRoutes,
  ...discoverRoutes,
  ...chatRoutes,
  ...safetyRoutes,
];
