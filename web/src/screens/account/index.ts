import type { Route } from "../../routes";
import { Welcome } from "./welcome";

export const accountRoutes: Route[] = [
  { path: "/welcome", component: Welcome, access: "signedOut", bare: true },
];
