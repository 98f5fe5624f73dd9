// The second sign-in factor options of an auth collection (PocketBase's
// mfa, otp and authAlert): what the editor checks before the server does,
// and how it words them.

import type { AuthCollection, FieldError } from "../lib/api";

/** signInMethods names the sign-in methods enabled on c, the ones MFA counts. */
export function signInMethods(c: AuthCollection): string[] {
  const out: string[] = [];
  if (c.passwordAuth.enabled) out.push("password");
  if (c.oauth2.enabled) out.push("OAuth2");
  if (c.otp?.enabled) out.push("OTP");
  return out;
}

/**
 * mfaProblem says why the server will refuse c's MFA options, "" when it
 * will not: MFA asks for two different methods, so at least two must be
 * enabled.
 */
export function mfaProblem(c: AuthCollection): string {
  if (!c.mfa?.enabled) return "";
  const on = signInMethods(c);
  if (on.length >= 2) return "";
  const now = on.length === 0 ? "none is enabled" : `only ${on[0]} is enabled`;
  return `MFA needs at least two sign-in methods (password, OAuth2, OTP); ${now}.`;
}

/** factorErrors picks the server's errors under section ("otp.length" -> length). */
export function factorErrors(errors: Record<string, FieldError>, section: "mfa" | "otp" | "authAlert"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, e] of Object.entries(errors)) {
    if (!key.startsWith(section + ".")) continue;
    const option = key.slice(section.length + 1);
    out[option] = out[option] ? `${out[option]} ${e.message}` : e.message;
  }
  return out;
}

const common = ["{APP_NAME}", "{APP_URL}", "{RECORD:field}"];

/** factorPlaceholders are what the OTP email and the login alert may use. */
export const factorPlaceholders = {
  otp: ["{OTP}", "{OTP_ID}", ...common],
  authAlert: ["{ALERT_INFO}", ...common],
} as const;

const units: [number, string][] = [
  [86400, "day"],
  [3600, "hour"],
  [60, "minute"],
  [1, "second"],
];

/** spelledDuration spells seconds in the largest unit that divides them ("3 minutes"). */
export function spelledDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return "";
  const s = Math.floor(seconds);
  for (const [size, name] of units) {
    if (s % size === 0) {
      const n = s / size;
      return `${n} ${name}${n === 1 ? "" : "s"}`;
    }
  }
  return "";
}
