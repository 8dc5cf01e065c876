import type { Route } from "../../routes";

export const discoverRoutes: Route[] = [];
