import { describe, expect, it } from "vitest";
import type { AuthCollection, Collection } from "../lib/api";
import { factorErrors, factorPlaceholders, mfaProblem, signInMethods, spelledDuration } from "./authFactors";
import { newCollection, payload } from "./draft";

const auth = () => newCollection("auth", "members") as AuthCollection;

describe("new auth collections", () => {
  it("carry PocketBase's MFA, OTP and login alert defaults", () => {
    const c = auth();
    expect(c.mfa).toEqual({ enabled: false, duration: 600, rule: "" });
    expect(c.otp).toMatchObject({ enabled: false, duration: 180, length: 8, emailTemplate: { subject: "", body: "" } });
    expect(c.authAlert).toMatchObject({ enabled: true, emailTemplate: { subject: "", body: "" } });
  });

  it("send them with the other auth options, and other types do not", () => {
    const c = auth();
    c.otp.enabled = true;
    c.otp.length = 6;
    c.mfa.rule = "verified = true";
    const body = payload(c);
    expect(body.otp).toMatchObject({ enabled: true, length: 6 });
    expect(body.mfa).toMatchObject({ rule: "verified = true" });
    expect(body.authAlert).toMatchObject({ enabled: true });
    const base = payload({ ...c, type: "base" } as unknown as Collection);
    expect(base).not.toHaveProperty("otp");
    expect(base).not.toHaveProperty("mfa");
    expect(base).not.toHaveProperty("authAlert");
  });
});

describe("signInMethods", () => {
  it("names the enabled methods", () => {
    const c = auth();
    expect(signInMethods(c)).toEqual(["password"]);
    c.oauth2.enabled = true;
    c.otp.enabled = true;
    expect(signInMethods(c)).toEqual(["password", "OAuth2", "OTP"]);
  });
});

describe("mfaProblem", () => {
  it("says when MFA has fewer than two methods, as the server refuses it", () => {
    const c = auth();
    expect(mfaProblem(c)).toBe("");
    c.mfa.enabled = true;
    expect(mfaProblem(c)).toMatch(/at least two sign-in methods/);
    c.otp.enabled = true;
    expect(mfaProblem(c)).toBe("");
    c.passwordAuth.enabled = false;
    expect(mfaProblem(c)).toMatch(/only OTP is enabled/);
  });
});

describe("factorErrors", () => {
  it("picks the server's errors under a section", () => {
    const errors = {
      "otp.length": { code: "validation_min_greater_equal_than_required", message: "Must be at least 4." },
      "mfa.enabled": { code: "validation_mfa_not_enough_auths", message: "MFA requires at least 2 auth methods to be enabled." },
      "otp.duration": { code: "validation_out_of_range", message: "Must be between 10 and 86400 seconds." },
      passwordAuth: { code: "x", message: "no" },
    };
    expect(factorErrors(errors, "otp")).toEqual({ length: "Must be at least 4.", duration: "Must be between 10 and 86400 seconds." });
    expect(factorErrors(errors, "mfa")).toEqual({ enabled: "MFA requires at least 2 auth methods to be enabled." });
    expect(factorErrors(errors, "authAlert")).toEqual({});
  });
});

describe("factorPlaceholders", () => {
  it("lists what each email may use", () => {
    expect(factorPlaceholders.otp).toContain("{OTP}");
    expect(factorPlaceholders.authAlert).toContain("{ALERT_INFO}");
    expect(factorPlaceholders.otp).toContain("{APP_NAME}");
  });
});

describe("spelledDuration", () => {
  it("spells seconds in the largest whole unit", () => {
    expect(spelledDuration(180)).toBe("3 minutes");
    expect(spelledDuration(600)).toBe("10 minutes");
    expect(spelledDuration(3600)).toBe("1 hour");
    expect(spelledDuration(86400)).toBe("1 day");
    expect(spelledDuration(90)).toBe("90 seconds");
    expect(spelledDuration(1)).toBe("1 second");
    expect(spelledDuration(0)).toBe("");
    expect(spelledDuration(Number.NaN)).toBe("");
  });
});
