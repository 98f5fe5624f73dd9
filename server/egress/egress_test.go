package egress_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server/egress"
)

func TestRefused(t *testing.T) {
	allow, err := egress.ParseAllow([]string{"10.1.0.0/16", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]string{
		"127.0.0.1": "loopback", "::ffff:127.0.0.1": "loopback", "::1": "", "0.0.0.0": "unspecified", "::": "unspecified",
		"169.254.169.254": "link-local", "fe80::1": "link-local", "10.0.0.1": "private", "10.1.2.3": "", "192.168.1.1": "private",
		"172.16.0.1": "private", "fd00::1": "private", "100.64.0.1": "private", "224.0.0.1": "link-local", "239.1.2.3": "multicast", "ff02::1": "link-local", "ff05::1": "multicast", "10.2.0.1": "private",
		"8.8.8.8": "", "2001:4860:4860::8888": "",
	} {
		if got := egress.Refused(netip.MustParseAddr(ip), allow); got != want {
			t.Errorf("Refused(%s) = %q, want %q", ip, got, want)
		}
	}
	if _, err := egress.ParseAllow([]string{"not a range"}); err == nil {
		t.Error("ParseAllow took nonsense")
	}
}

// TestDialerRefusesAfterResolving: "localhost" passes as a name and is
// refused as the address it resolves to; an allowed address connects.
func TestDialerRefusesAfterResolving(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	_, err = egress.Dialer(5*time.Second, nil, "webhooks").DialContext(context.Background(), "tcp", "localhost:"+port)
	var refused *egress.RefusedError
	if !errors.As(err, &refused) || refused.Kind != "loopback" {
		t.Fatalf("localhost: %v", err)
	}
	c, err := egress.Dialer(5*time.Second, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "webhooks").DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("allowed: %v", err)
	}
	c.Close()
}
