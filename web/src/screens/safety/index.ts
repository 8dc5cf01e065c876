import type { Route } from "../../routes";

export const safetyRoutes: Route[] = [];
