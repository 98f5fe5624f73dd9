package webhooks

import (
	"net/netip"
	"testing"
	"time"
)

// TestRefused: the guard's classes of addresses, and the allow list.
func TestRefused(t *testing.T) {
	allow, err := parseAllow([]string{"10.1.0.0/16", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]string{
		"127.0.0.1": "loopback", "::1": "", "0.0.0.0": "unspecified", "::": "unspecified",
		"169.254.169.254": "link-local", "fe80::1": "link-local", "10.0.0.1": "private", "10.1.2.3": "",
		"192.168.1.1": "private", "172.16.0.1": "private", "fd00::1": "private", "100.64.0.1": "private",
		"224.0.0.1": "link-local", "239.1.2.3": "multicast", "ff02::1": "link-local", "ff05::1": "multicast",
		"::ffff:127.0.0.1": "loopback", "93.184.216.34": "", "2606:4700::1": "",
	} {
		if got := refused(netip.MustParseAddr(ip), allow); got != want {
			t.Errorf("%s: %q, want %q", ip, got, want)
		}
	}
	if _, err := parseAllow([]string{"not a range"}); err == nil {
		t.Error("a bad allow entry is accepted")
	}
}

// TestBackoff: the waits double from the base up to the ceiling, drawn
// between half of that and all of it.
func TestBackoff(t *testing.T) {
	base, ceiling := time.Second, 10*time.Second
	for n, full := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 60: 10 * time.Second} {
		for range 20 {
			if got := backoff(base, ceiling, n); got < full/2 || got > full {
				t.Fatalf("attempt %d: %v, want within [%v, %v]", n, got, full/2, full)
			}
		}
	}
}
