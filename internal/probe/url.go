package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/deliver"
)

// URL checks the target as the platform checks a webhook URL before it
// accepts it: HTTPS, a public host, a valid certificate. On a loopback
// target the findings are notes: testing locally is the point. It also
// returns the certificate error, if any, so the caller can decide whether
// to go on without verification.
func URL(ctx context.Context, target string) ([]check.Finding, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, nil
	}
	host := u.Hostname()
	local := IsLoopback(host)
	// Only scheme, host and path: the query or user info may hold a secret.
	shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	mk := func(id, msg string) check.Finding {
		f := check.New(id, msg)
		f.Probe, f.Request = "url", "the target URL "+shown
		if local {
			f.Severity = check.SeverityNote
		}
		return f
	}
	var out []check.Finding
	if u.Scheme != "https" {
		out = append(out, mk(check.URLHTTPS, fmt.Sprintf("%s is plain HTTP; the platform only delivers to https:// URLs", hostPort(u))))
	}
	if why := private(ctx, host); why != "" {
		out = append(out, mk(check.URLPublic, fmt.Sprintf("%s %s; the platform only delivers to publicly reachable hosts", host, why)))
	}
	var tlsErr error
	if u.Scheme == "https" {
		tlsErr = verifyTLS(ctx, u)
		if tlsErr != nil {
			out = append(out, mk(check.TLSValid, fmt.Sprintf("the certificate of %s is not accepted: %s", hostPort(u), tlsErr)))
		}
	}
	return out, tlsErr
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return u.Hostname()
}

// IsLoopback reports whether host is this machine: localhost, 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// private says why host is not public, or "" if it is (or cannot be told).
func private(ctx context.Context, host string) string {
	if IsLoopback(host) {
		return "is this machine (loopback)"
	}
	low := strings.ToLower(host)
	for _, suffix := range []string{".local", ".internal", ".lan", ".home.arpa"} {
		if strings.HasSuffix(low, suffix) {
			return "is a local network name"
		}
	}
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupIPAddr(rctx, host)
		if err != nil || len(addrs) == 0 {
			return "" // the deliveries will report what is wrong with the name
		}
		ips = ips[:0]
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	for _, ip := range ips {
		if ip.IsGlobalUnicast() && !ip.IsPrivate() {
			return ""
		}
	}
	return fmt.Sprintf("resolves to %s, a private or local address", ips[0])
}

func verifyTLS(ctx context.Context, u *url.URL) error {
	port := u.Port()
	if port == "" {
		port = "443"
	}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: deliver.AckBudget}, Config: &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}}
	dctx, cancel := context.WithTimeout(ctx, deliver.AckBudget)
	defer cancel()
	conn, err := d.DialContext(dctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		var (
			cv       *tls.CertificateVerificationError
			unknown  x509.UnknownAuthorityError
			hostname x509.HostnameError
			invalid  x509.CertificateInvalidError
		)
		switch {
		case errors.As(err, &cv):
			return errors.New(firstLine(cv.Err.Error()))
		case errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid):
			return errors.New(firstLine(err.Error()))
		}
		return nil // not a certificate problem: the deliveries report it
	}
	conn.Close()
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
