import { describe, expect, it } from "vitest";
import type { Settings } from "../lib/api";
import { addressesError, changedSections, diffSettings, formatDuration, isEmptyPatch, newRule, parseAddresses, toForm } from "./settingsForm";

function settings(): Settings {
  return {
    meta: { appName: "Lumbung", appURL: "http://127.0.0.1:8090", senderName: "Support", senderAddress: "support@example.com", hideControls: false },
    smtp: { enabled: false, host: "", port: 587, username: "", passwordSet: true, authMethod: "", tls: false, tlsMode: "starttls" },
    rateLimits: {
      enabled: true,
      rules: [
        { label: "*:auth", audience: "", duration: 10, maxRequests: 20 },
        { label: "*:requestVerification", audience: "", duration: 60, maxRequests: 5 },
      ],
    },
    logs: { maxDays: 5, minLevel: 0, logIP: true, logAuthId: false },
    metrics: { enabled: false, tokenSet: true, allowedAddresses: ["10.0.0.0/8"] },
    audit: { retentionDays: 30 },
  };
}

describe("diffSettings", () => {
  it("is empty for an untouched form", () => {
    const s = settings();
    const p = diffSettings(s, toForm(s));
    expect(p).toEqual({});
    expect(isEmptyPatch(p)).toBe(true);
    expect(changedSections(p)).toEqual([]);
  });

  it("sends only changed keys", () => {
    const s = settings();
    const f = toForm(s);
    f.meta.appName = "Granary";
    f.smtp.enabled = true;
    f.smtp.host = "smtp.example.com";
    f.smtp.tlsMode = "tls";
    expect(diffSettings(s, f)).toEqual({
      meta: { appName: "Granary" },
      smtp: { enabled: true, host: "smtp.example.com", tlsMode: "tls" },
    });
    expect(changedSections(diffSettings(s, f))).toEqual(["application", "mail"]);
  });

  it("never sends the password unless typed or cleared", () => {
    const s = settings();
    const f = toForm(s);
    expect(f.smtp.password).toBe("");
    f.smtp.password = "hunter2";
    expect(diffSettings(s, f)).toEqual({ smtp: { password: "hunter2" } });
    f.smtp.clearPassword = true;
    expect(diffSettings(s, f)).toEqual({ smtp: { password: null } });
    s.smtp.passwordSet = false;
    expect(diffSettings(s, f)).toEqual({});
  });

  it("sends the whole rule list when a rule changes, is added or removed", () => {
    const s = settings();
    const f = toForm(s);
    f.rateLimits.rules[1].maxRequests = 10;
    expect(diffSettings(s, f).rateLimits?.rules).toEqual([
      { label: "*:auth", audience: "", duration: 10, maxRequests: 20 },
      { label: "*:requestVerification", audience: "", duration: 60, maxRequests: 10 },
    ]);

    const g = toForm(s);
    g.rateLimits.rules.push({ ...newRule(), label: " /api/ ", audience: "@guest" });
    expect(diffSettings(s, g).rateLimits?.rules?.[2]).toEqual({ label: "/api/", audience: "@guest", duration: 60, maxRequests: 100 });

    const h = toForm(s);
    h.rateLimits.rules.splice(0, 1);
    h.rateLimits.enabled = false;
    expect(diffSettings(s, h)).toEqual({
      rateLimits: { enabled: false, rules: [{ label: "*:requestVerification", audience: "", duration: 60, maxRequests: 5 }] },
    });
  });

  it("sends the changed logs settings", () => {
    const s = settings();
    const f = toForm(s);
    f.logs.minLevel = 4;
    f.logs.logAuthId = true;
    expect(diffSettings(s, f)).toEqual({ logs: { minLevel: 4, logAuthId: true } });
    expect(changedSections(diffSettings(s, f))).toEqual(["logs"]);
    f.logs.maxDays = null;
    expect(diffSettings(s, f).logs?.maxDays).toBe(0);
    f.logs = { ...s.logs };
    expect(isEmptyPatch(diffSettings(s, f))).toBe(true);
    expect(s.logs.minLevel).toBe(0);
  });

  it("sends emptied number inputs as 0 so the server explains them", () => {
    const s = settings();
    const f = toForm(s);
    f.smtp.port = null;
    f.rateLimits.rules[0].duration = null;
    const p = diffSettings(s, f);
    expect(p.smtp).toEqual({ port: 0 });
    expect(p.rateLimits?.rules?.[0].duration).toBe(0);
  });

  it("does not alias the original", () => {
    const s = settings();
    const f = toForm(s);
    f.rateLimits.rules[0].label = "changed";
    f.meta.appName = "x";
    expect(s.rateLimits.rules[0].label).toBe("*:auth");
    expect(s.meta.appName).toBe("Lumbung");
  });
});

describe("metrics", () => {
  it("sends the token only when typed or cleared, and addresses as a list", () => {
    const s = settings();
    const f = toForm(s);
    expect(f.metrics).toEqual({ enabled: false, token: "", clearToken: false, addresses: "10.0.0.0/8" });
    f.metrics.enabled = true;
    expect(diffSettings(s, f)).toEqual({ metrics: { enabled: true } });
    f.metrics.token = "a-long-random-scrape-token";
    f.metrics.addresses = " 10.0.0.0/8 \n\n192.168.1.20, ::1\n";
    const p = diffSettings(s, f);
    expect(p).toEqual({ metrics: { enabled: true, token: "a-long-random-scrape-token", allowedAddresses: ["10.0.0.0/8", "192.168.1.20", "::1"] } });
    expect(changedSections(p)).toEqual(["metrics"]);
    expect(isEmptyPatch(p)).toBe(false);

    f.metrics.clearToken = true;
    expect(diffSettings(s, f).metrics?.token).toBeNull();
    // Nothing stored: clearing sends nothing.
    s.metrics.tokenSet = false;
    expect(diffSettings(s, f).metrics).not.toHaveProperty("token");
    // The same addresses, written differently, are no change.
    const g = toForm(s);
    g.metrics.addresses = "10.0.0.0/8,\n";
    expect(diffSettings(s, g)).toEqual({});
  });

  it("names the address the server refused", () => {
    const list = parseAddresses("10.0.0.0/8\nnot an address");
    expect(list).toEqual(["10.0.0.0/8", "not an address"]);
    expect(addressesError({ "metrics.allowedAddresses.1": { message: "Invalid address." } }, list)).toBe("“not an address”: Invalid address.");
    expect(addressesError({ "metrics.allowedAddresses.7": { message: "Invalid address." } }, list)).toBe("Invalid address.");
    expect(addressesError({ "metrics.token": { message: "x" } }, list)).toBe("");
  });
});

describe("formatDuration", () => {
  it("uses the largest whole unit", () => {
    expect(formatDuration(604800)).toBe("7 days");
    expect(formatDuration(86400)).toBe("1 day");
    expect(formatDuration(1800)).toBe("30 min");
    expect(formatDuration(7200)).toBe("2 hours");
    expect(formatDuration(90)).toBe("90 s");
    expect(formatDuration(0)).toBe("0 s");
  });
});

describe("audit settings", () => {
  it("sends the days kept when changed; an empty input is 0 (keep none)", () => {
    const s = settings();
    const f = toForm(s);
    expect(f.audit).toEqual({ retentionDays: 30 });
    f.audit!.retentionDays = 90;
    expect(diffSettings(s, f)).toEqual({ audit: { retentionDays: 90 } });
    expect(changedSections(diffSettings(s, f))).toEqual(["audit"]);
    f.audit!.retentionDays = null;
    expect(diffSettings(s, f)).toEqual({ audit: { retentionDays: 0 } });
    f.audit!.retentionDays = 30;
    expect(isEmptyPatch(diffSettings(s, f))).toBe(true);
  });

  it("has no audit section for a server without audit settings", () => {
    const s = settings();
    delete s.audit;
    const f = toForm(s);
    expect(f.audit).toBeNull();
    expect(diffSettings(s, f)).toEqual({});
  });
});
