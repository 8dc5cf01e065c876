import type { Route } from "../../routes";

export const chatRoutes: Route[] = [];
