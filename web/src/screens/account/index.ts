import "./account.css";
import type { Route } from "../../routes";
import { Login } from "./login";
import { Me } from "./me";
import { OAuthReturn } from "./oauth";
import { Onboarding } from "./onboarding";
import { ForgotPassword, ResetPassword } from "./password";
import { AccountSettings } from "./settings-account";
import { BlocksSettings } from "./settings-blocks";
import { DiscoverySettings } from "./settings-discovery";
import { PrivacySettings } from "./settings-privacy";
import { ProfileSettings } from "./settings-profile";
import { SecuritySettings } from "./settings-security";
import { Signup } from "./signup";
import { VerifyEmail } from "./verify-email";
import { Welcome } from "./welcome";

export const accountRoutes: Route[] = [
  { path: "/welcome", component: Welcome, access: "signedOut", bare: true },
  { path: "/signup", component: Signup, access: "signedOut", bare: true },
  { path: "/login", component: Login, access: "signedOut", bare: true },
  { path: "/oauth", component: OAuthReturn, access: "signedOut", bare: true },
  { path: "/forgot-password", component: ForgotPassword, access: "signedOut", bare: true },
  { path: "/reset-password", component: ResetPassword, access: "public", bare: true },
  { path: "/verify-email", component: VerifyEmail, access: "public", bare: true },
  { path: "/onboarding", component: Onboarding, access: "signedIn", bare: true },
  { path: "/me", component: Me, access: "signedIn" },
  { path: "/settings/profile", component: ProfileSettings, access: "signedIn" },
  { path: "/settings/discovery", component: DiscoverySettings, access: "signedIn" },
  { path: "/settings/privacy", component: PrivacySettings, access: "signedIn" },
  { path: "/settings/blocks", component: BlocksSettings, access: "signedIn" },
  { path: "/settings/security", component: SecuritySettings, access: "signedIn" },
  { path: "/settings/account", component: AccountSettings, access: "signedIn" },
];
