package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/errs"
)

var start = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC) // 10:00 JST

type recorded struct {
	events []Event
	actors []string
}

// newTestService returns a Service on a fresh database with cheap hashing, a frozen clock and
// the audit events it records.
func newTestService(t *testing.T) (*Service, *clock.Sandbox, *recorded) {
	t.Helper()
	d := dbtest.Open(t, Migrations)
	c := clock.NewFrozen(start)
	rec := &recorded{}
	s := NewService(d, c, func(ctx context.Context, q db.Querier, e Event) error {
		rec.events = append(rec.events, e)
		name := ""
		if p := FromContext(ctx); p != nil {
			name = p.Name
		}
		rec.actors = append(rec.actors, name)
		return nil
	})
	s.params = hashParams{time: 1, memory: 1024, threads: 1, keyLen: 32}
	return s, c, rec
}

func (r *recorded) actions() string {
	var a []string
	for _, e := range r.events {
		a = append(a, e.Action)
	}
	return strings.Join(a, " ")
}

func mustUser(t *testing.T, s *Service, email string, role Role) *User {
	t.Helper()
	u, err := s.CreateUser(WithPrincipal(context.Background(), System("test")), NewUser{Email: email, Role: role, Password: "correct-horse-1"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("パスワード-123456")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=1,p=4$") {
		t.Fatalf("hash %q does not carry its parameters", h)
	}
	h2, _ := HashPassword("パスワード-123456")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	tests := []struct {
		hash, pw string
		ok       bool
		err      bool
	}{
		{h, "パスワード-123456", true, false},
		{h, "パスワード-123457", false, false},
		{h, "", false, false},
		{"$2a$10$bcrypt", "x", false, true},
		{strings.Replace(h, "m=65536", "m=x", 1), "x", false, true},
	}
	for _, tt := range tests {
		ok, err := CheckPassword(tt.hash, tt.pw)
		if ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("CheckPassword(%.30q, %q) = %v, %v; want %v, err=%v", tt.hash, tt.pw, ok, err, tt.ok, tt.err)
		}
	}
	if p := GeneratePassword(); len(p) != 20 || ValidatePassword(p, "a@example.com") != nil {
		t.Errorf("GeneratePassword() = %q", p)
	}
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pw   string
		want string // part of the field message; "" = accepted
	}{
		{"correct-horse-1", ""},
		{"朝の珈琲と猫の散歩道です", ""},
		{"aaaaaaaaaa", "12文字以上"},
		{"aaaaaaaaaaaa", "同じ文字の繰り返し"},
		{"abababababab", "同じ文字の繰り返し"},
		{"            ", "空白だけ"},
		{"\t\t\t\t\t\t\t\t\t\t\t\t", "空白だけ"},
		{"taro@example.com", "メールアドレス"},
		{"TARO@EXAMPLE.COM", "メールアドレス"},
		{"my-taro@example.com-1", "メールアドレス"},
		{"password1234", "よく使われる"},
		{"Password2024!", "よく使われる"},
		{"qwertyuiop12", "よく使われる"},
		{"123456789012", "よく使われる"},
		{"iloveyou!!!!", "よく使われる"},
		{strings.Repeat("あいうえお", 41), "200文字以下"},
	}
	for _, tt := range tests {
		err := ValidatePassword(tt.pw, "Taro@example.com")
		if tt.want == "" {
			if err != nil {
				t.Errorf("ValidatePassword(%q) = %v, want accepted", tt.pw, err)
			}
			continue
		}
		e := errs.As(err)
		if e == nil || e.Kind != errs.KindInvalid || !strings.Contains(e.Fields["password"], tt.want) {
			t.Errorf("ValidatePassword(%q) = %v, want a password field error with %q", tt.pw, err, tt.want)
		}
	}
}

func TestCreateUserValidation(t *testing.T) {
	t.Parallel()
	s, _, rec := newTestService(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		nu    NewUser
		kind  errs.Kind
		field string
	}{
		{"ok", NewUser{Email: " Taro@Example.COM ", Role: RoleStaff, Password: "0123456789ab"}, "", ""},
		{"duplicate email in other case", NewUser{Email: "taro@example.com", Role: RoleViewer, Password: "0123456789ab"}, errs.KindConflict, "email"},
		{"bad email", NewUser{Email: "taro", Role: RoleStaff, Password: "0123456789ab"}, errs.KindInvalid, "email"},
		{"bad role", NewUser{Email: "a@b.jp", Role: "boss", Password: "0123456789ab"}, errs.KindInvalid, "role"},
		{"short password", NewUser{Email: "a@b.jp", Role: RoleStaff, Password: "0123456789a"}, errs.KindInvalid, "password"},
	}
	for _, tt := range tests {
		u, err := s.CreateUser(ctx, tt.nu)
		if tt.kind == "" {
			if err != nil || u.Email != "taro@example.com" {
				t.Errorf("%s: CreateUser = %+v, %v", tt.name, u, err)
			}
			continue
		}
		e := errs.As(err)
		if e == nil || e.Kind != tt.kind || e.Fields[tt.field] == "" {
			t.Errorf("%s: error = %v, want %s on field %s", tt.name, err, tt.kind, tt.field)
		}
	}
	if got := rec.actions(); got != "user.create" {
		t.Errorf("audit = %q, want one user.create", got)
	}
}

func TestLoginSessionAndTimeouts(t *testing.T) {
	t.Parallel()
	s, c, rec := newTestService(t)
	ctx := context.Background()
	u := mustUser(t, s, "hanako@example.com", RoleAccountant)

	l, err := s.Login(ctx, LoginRequest{Email: "HANAKO@example.com", Password: "correct-horse-1", IP: "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	var stored string
	if err := s.DB.QueryRowContext(ctx, `SELECT token_hash FROM sessions WHERE id = ?`, l.Session.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored == l.Token || stored != hashToken(l.Token) {
		t.Fatalf("session table stores %q for token %q: want only its hash", stored, l.Token)
	}
	p, err := s.Session(ctx, l.Token)
	if err != nil || p.ID != u.ID || p.Role != RoleAccountant || p.CSRFToken != l.Session.CSRFToken || p.SessionID == "" {
		t.Fatalf("Session = %+v, %v", p, err)
	}
	if !CheckCSRF(p, l.Session.CSRFToken) || CheckCSRF(p, "x"+l.Session.CSRFToken) || CheckCSRF(p, "") {
		t.Fatal("CheckCSRF accepts the wrong token or refuses the right one")
	}
	if _, err := s.Session(ctx, l.Token+"x"); !errors.Is(err, ErrNoSession) {
		t.Fatalf("unknown token: %v", err)
	}

	// A role change applies to the open session at once.
	if _, err := s.SetRole(ctx, u.ID, RoleViewer); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Session(ctx, l.Token); p == nil || p.Role != RoleViewer {
		t.Fatalf("after role change session role = %+v", p)
	}

	// Idle timeout: used every 90 minutes it lives on; 2h unused it ends.
	c.Advance(90 * time.Minute)
	if _, err := s.Session(ctx, l.Token); err != nil {
		t.Fatalf("after 90 min: %v", err)
	}
	c.Advance(2*time.Hour + time.Second)
	if _, err := s.Session(ctx, l.Token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("after 2h idle: %v, want ErrNoSession", err)
	}

	// Absolute lifetime: even a busy session ends after 12 hours.
	l2, err := s.Login(ctx, LoginRequest{Email: "hanako@example.com", Password: "correct-horse-1"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 12; i++ {
		c.Advance(time.Hour)
		_, err := s.Session(ctx, l2.Token)
		if i < 11 && err != nil {
			t.Fatalf("after %dh: %v", i+1, err)
		}
		if i == 11 && !errors.Is(err, ErrNoSession) {
			t.Fatalf("after 12h: %v, want ErrNoSession", err)
		}
	}

	// Logout ends the session.
	l3, _ := s.Login(ctx, LoginRequest{Email: "hanako@example.com", Password: "correct-horse-1"})
	p3, _ := s.Session(ctx, l3.Token)
	if err := s.Logout(ctx, p3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, l3.Token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("after logout: %v", err)
	}
	if got := rec.actions(); got != "user.create user.login user.role_change user.login user.login user.logout" {
		t.Errorf("audit = %q", got)
	}
}

func TestDisabledUserLosesSessionAtOnce(t *testing.T) {
	t.Parallel()
	s, _, _ := newTestService(t)
	ctx := context.Background()
	admin := mustUser(t, s, "admin@example.com", RoleAdmin)
	u := mustUser(t, s, "staff@example.com", RoleStaff)
	l, err := s.Login(ctx, LoginRequest{Email: u.Email, Password: "correct-horse-1"})
	if err != nil {
		t.Fatal(err)
	}
	actx := WithPrincipal(ctx, &Principal{Kind: KindUser, ID: admin.ID, Name: admin.Email, Role: RoleAdmin})
	if _, err := s.SetDisabled(actx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, l.Token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("session of disabled user: %v", err)
	}
	_, err = s.Login(ctx, LoginRequest{Email: u.Email, Password: "correct-horse-1"})
	if errs.KindOf(err) != errs.KindForbidden {
		t.Fatalf("login of disabled user: %v, want forbidden", err)
	}
	// Re-enabled, the user can sign in again.
	if _, err := s.SetDisabled(actx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, LoginRequest{Email: u.Email, Password: "correct-horse-1"}); err != nil {
		t.Fatal(err)
	}
	// Nobody can disable themself or the last admin.
	if _, err := s.SetDisabled(actx, admin.ID, true); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("disable self: %v", err)
	}
	if _, err := s.SetRole(actx, admin.ID, RoleStaff); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("demote last admin: %v", err)
	}
	// A password reset ends the sessions and the old password stops working.
	l2, _ := s.Login(ctx, LoginRequest{Email: u.Email, Password: "correct-horse-1"})
	if err := s.ResetPassword(actx, u.ID, "new-password-22"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, l2.Token); !errors.Is(err, ErrNoSession) {
		t.Fatalf("session after reset: %v", err)
	}
	if _, err := s.Login(ctx, LoginRequest{Email: u.Email, Password: "correct-horse-1"}); errs.KindOf(err) != errs.KindUnauthenticated {
		t.Fatalf("old password after reset: %v", err)
	}
	if _, err := s.Login(ctx, LoginRequest{Email: u.Email, Password: "new-password-22"}); err != nil {
		t.Fatalf("new password: %v", err)
	}
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	s, c, rec := newTestService(t)
	ctx := context.Background()
	mustUser(t, s, "jiro@example.com", RoleStaff)
	login := func(pw, ip string) error {
		_, err := s.Login(ctx, LoginRequest{Email: "jiro@example.com", Password: pw, IP: ip})
		return err
	}
	for i := 0; i < 5; i++ {
		c.Advance(time.Minute)
		if err := login("wrong-password", "10.0.0.1"); errs.KindOf(err) != errs.KindUnauthenticated {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	// The sixth attempt from that address is refused even with the right password...
	err := login("correct-horse-1", "10.0.0.1")
	e := errs.As(err)
	if e == nil || e.Kind != errs.KindTooMany || !strings.Contains(e.Message, "10:20 以降") {
		t.Fatalf("sixth attempt: %v, want too_many_requests until 10:20 JST", err)
	}
	// Refused attempts don't extend the lock; 15 minutes after the fifth failure it lifts.
	c.Advance(14*time.Minute + 59*time.Second)
	if err := login("correct-horse-1", "10.0.0.1"); errs.KindOf(err) != errs.KindTooMany {
		t.Fatalf("still locked: %v", err)
	}
	c.Advance(time.Second)
	if err := login("correct-horse-1", "10.0.0.1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	// ...and a stranger's five failures lock only the stranger's address, not the account.
	for i := 0; i < 5; i++ {
		c.Advance(time.Second)
		_ = login("wrong-password", "10.0.0.3")
	}
	if err := login("correct-horse-1", "10.0.0.3"); errs.KindOf(err) != errs.KindTooMany {
		t.Fatalf("stranger's address after 5 failures: %v", err)
	}
	if err := login("correct-horse-1", "10.0.0.4"); err != nil {
		t.Fatalf("owner from another address while a stranger is locked: %v", err)
	}
	// A success clears the count for the email.
	for i := 0; i < 4; i++ {
		c.Advance(time.Second)
		_ = login("wrong-password", "10.0.0.5")
	}
	if err := login("correct-horse-1", "10.0.0.5"); err != nil {
		t.Fatalf("4 failures then right password: %v", err)
	}
	var reasons []string
	for i, e := range rec.events {
		if e.Action == "user.login_failed" {
			reasons = append(reasons, strings.Fields(e.Note)[0])
			if rec.actors[i] != "jiro@example.com" {
				t.Errorf("login_failed attributed to %q", rec.actors[i])
			}
		}
	}
	if len(reasons) != 17 || reasons[0] != "reason=bad_password" || reasons[5] != "reason=throttled" || reasons[12] != "reason=throttled" {
		t.Errorf("login_failed reasons = %v", reasons)
	}
}

func TestAccountWideBackoff(t *testing.T) {
	t.Parallel()
	s, c, _ := newTestService(t)
	s.Throttle.PerAccount = 8
	ctx := context.Background()
	u := mustUser(t, s, "shiro@example.com", RoleStaff)
	login := func(pw, ip string) error {
		_, err := s.Login(ctx, LoginRequest{Email: u.Email, Password: pw, IP: ip})
		return err
	}
	// Guesses from many addresses, each under its own limit, add up to the account-wide one.
	for i := 0; i < 8; i++ {
		c.Advance(time.Minute)
		if err := login("wrong-password", fmt.Sprintf("10.1.0.%d", i/2)); errs.KindOf(err) != errs.KindUnauthenticated {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if err := login("correct-horse-1", "10.9.9.9"); errs.KindOf(err) != errs.KindTooMany {
		t.Fatalf("after 8 failures from 4 addresses: %v, want the account-wide backoff", err)
	}
	locks, err := s.LoginLocks(ctx)
	if err != nil || len(locks) != 1 || locks[0].Email != u.Email {
		t.Fatalf("LoginLocks = %+v, %v", locks, err)
	}
	// An administrator lifts it; a password reset would too.
	actx := WithPrincipal(ctx, System("test"))
	if err := s.UnlockLogin(actx, u.Email); err != nil {
		t.Fatal(err)
	}
	if err := login("correct-horse-1", "10.9.9.9"); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	if err := s.UnlockLogin(actx, u.Email); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("unlock of an unlocked account: %v", err)
	}
	for i := 0; i < 5; i++ {
		c.Advance(time.Second)
		_ = login("wrong-password", "10.2.0.1")
	}
	if err := login("another-password-3", "10.2.0.1"); errs.KindOf(err) != errs.KindTooMany {
		t.Fatalf("locked again: %v", err)
	}
	if err := s.ResetPassword(actx, u.ID, "another-password-3"); err != nil {
		t.Fatal(err)
	}
	if err := login("another-password-3", "10.2.0.1"); err != nil {
		t.Fatalf("after a password reset: %v", err)
	}
}

// Concurrent guesses are counted before they are checked: 12 at once against a limit of 5
// check at most 5 passwords, and hashing never runs more than HashConcurrency at a time.
func TestConcurrentGuessesAreCounted(t *testing.T) {
	t.Parallel()
	s, _, _ := newTestService(t)
	ctx := context.Background()
	u := mustUser(t, s, "goro@example.com", RoleStaff)
	var wg sync.WaitGroup
	var mu sync.Mutex
	kinds := map[errs.Kind]int{}
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Login(ctx, LoginRequest{Email: u.Email, Password: "wrong-password", IP: "10.3.0.1"})
			mu.Lock()
			kinds[errs.KindOf(err)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if kinds[errs.KindUnauthenticated] != 5 || kinds[errs.KindTooMany] != 7 {
		t.Fatalf("12 concurrent guesses: %v, want 5 checked and 7 refused", kinds)
	}
	if p := s.PeakHashing(); p < 1 || p > HashConcurrency() {
		t.Fatalf("peak concurrent hashing %d, want 1..%d", p, HashConcurrency())
	}
}

// TestRefusalFlood: guesses from a locked address are refused on a read and recorded once a
// minute: 40 at once add one refused row and audit entry, 90 more a second apart one more.
func TestRefusalFlood(t *testing.T) {
	t.Parallel()
	s, c, rec := newTestService(t)
	ctx := context.Background()
	u := mustUser(t, s, "shiro@example.com", RoleStaff)
	login := func() error {
		_, err := s.Login(ctx, LoginRequest{Email: u.Email, Password: "wrong-password", IP: "203.0.113.7"})
		return err
	}
	for range DefaultThrottle.PerAccountIP {
		_ = login()
	}
	var wg sync.WaitGroup
	var refused atomic.Int64
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs.KindOf(login()) == errs.KindTooMany {
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	recordedRefusals := func() (rows, audited int) {
		t.Helper()
		if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_attempts WHERE reason = ?`, reasonThrottled).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		for _, e := range rec.events {
			if strings.HasPrefix(e.Note, "reason=throttled") {
				audited++
			}
		}
		return rows, audited
	}
	if rows, audited := recordedRefusals(); refused.Load() != 40 || rows != 1 || audited != 1 {
		t.Fatalf("40 concurrent guesses from a locked address: %d refused, %d rows, %d audit entries; want 40, 1, 1", refused.Load(), rows, audited)
	}
	for range 90 {
		c.Advance(time.Second)
		if err := login(); errs.KindOf(err) != errs.KindTooMany {
			t.Fatalf("a guess while locked: %v", err)
		}
	}
	if rows, audited := recordedRefusals(); rows != 2 || audited != 2 {
		t.Fatalf("90 more over 90 s: %d rows, %d audit entries; want 2 each (one a minute)", rows, audited)
	}
}

func TestThrottleByIP(t *testing.T) {
	t.Parallel()
	s, c, _ := newTestService(t)
	ctx := context.Background()
	mustUser(t, s, "saburo@example.com", RoleStaff)
	for i := 0; i < 20; i++ {
		_, _ = s.Login(ctx, LoginRequest{Email: "guess" + string(rune('a'+i)) + "@example.com", Password: "x", IP: "203.0.113.9"})
	}
	_, err := s.Login(ctx, LoginRequest{Email: "saburo@example.com", Password: "correct-horse-1", IP: "203.0.113.9"})
	if errs.KindOf(err) != errs.KindTooMany {
		t.Fatalf("21st attempt from one address: %v", err)
	}
	if _, err := s.Login(ctx, LoginRequest{Email: "saburo@example.com", Password: "correct-horse-1", IP: "198.51.100.1"}); err != nil {
		t.Fatalf("other address: %v", err)
	}
	c.Advance(15 * time.Minute)
	if _, err := s.Login(ctx, LoginRequest{Email: "saburo@example.com", Password: "correct-horse-1", IP: "203.0.113.9"}); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// A key belongs to its owner: disabling the owner stops it, downgrading the owner limits it,
// and an expiry ends it.
func TestAPIKeyOwnerAndExpiry(t *testing.T) {
	t.Parallel()
	s, c, _ := newTestService(t)
	sys := WithPrincipal(context.Background(), System("test"))
	mustUser(t, s, "root@example.com", RoleAdmin) // keeps an admin when the owner is demoted
	owner := mustUser(t, s, "owner@example.com", RoleAdmin)
	as := WithPrincipal(context.Background(), &Principal{Kind: KindUser, ID: owner.ID, Name: owner.Email, Role: RoleAdmin})
	key, k, err := s.CreateAPIKey(as, "連携", RoleAdmin)
	if err != nil || k.OwnerID != owner.ID {
		t.Fatalf("create: %+v, %v", k, err)
	}
	expiring, _, err := s.CreateAPIKeyUntil(as, "期限つき", RoleViewer, c.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	role := func(key string) (Role, error) {
		p, err := s.APIKeyPrincipal(sys, key)
		if err != nil {
			return "", err
		}
		return p.Role, nil
	}
	if r, err := role(key); r != RoleAdmin || err != nil {
		t.Fatalf("fresh key: %v %v", r, err)
	}
	if _, err := s.SetRole(sys, owner.ID, RoleStaff); err != nil {
		t.Fatal(err)
	}
	if r, err := role(key); r != RoleStaff || err != nil {
		t.Fatalf("owner demoted to staff: key acts as %v (%v), want staff", r, err)
	}
	if _, err := s.SetDisabled(sys, owner.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := role(key); errs.KindOf(err) != errs.KindUnauthenticated || !strings.Contains(errs.As(err).Message, "無効") {
		t.Fatalf("owner disabled: %v", err)
	}
	if _, err := s.SetDisabled(sys, owner.ID, false); err != nil {
		t.Fatal(err)
	}
	if r, err := role(expiring); r != RoleViewer || err != nil {
		t.Fatalf("before expiry: %v %v", r, err)
	}
	c.Advance(time.Hour)
	if _, err := role(expiring); errs.KindOf(err) != errs.KindUnauthenticated || !strings.Contains(errs.As(err).Message, "有効期限") {
		t.Fatalf("after expiry: %v", err)
	}
	// Nobody makes a key stronger than themself, or one that expired already.
	staff := WithPrincipal(context.Background(), &Principal{Kind: KindUser, ID: owner.ID, Name: owner.Email, Role: RoleStaff})
	if _, _, err := s.CreateAPIKey(staff, "昇格", RoleAdmin); errs.As(err) == nil || errs.As(err).Fields["role"] == "" {
		t.Fatalf("staff making an admin key: %v", err)
	}
	if _, _, err := s.CreateAPIKeyUntil(as, "過去", RoleViewer, c.Now().Add(-time.Minute)); errs.As(err) == nil || errs.As(err).Fields["expires"] == "" {
		t.Fatalf("expiry in the past: %v", err)
	}
	// A key from the CLI belongs to the installation: no owner to follow.
	cli, k2, err := s.CreateAPIKey(WithPrincipal(context.Background(), System("cli")), "CLI", RoleAccountant)
	if err != nil || k2.OwnerID != "" {
		t.Fatalf("cli key: %+v %v", k2, err)
	}
	if r, err := role(cli); r != RoleAccountant || err != nil {
		t.Fatalf("cli key: %v %v", r, err)
	}
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	s, _, rec := newTestService(t)
	owner := mustUser(t, s, "admin@example.com", RoleAdmin)
	rec.events, rec.actors = nil, nil
	ctx := WithPrincipal(context.Background(), &Principal{Kind: KindUser, ID: owner.ID, Name: "admin@example.com", Role: RoleAdmin})
	key, k, err := s.CreateAPIKey(ctx, "倉庫システム", RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, k.Prefix) || len(key) < 30 || k.CreatedBy != "admin@example.com" {
		t.Fatalf("key %q, %+v", key, k)
	}
	var hash string
	if err := s.DB.QueryRowContext(ctx, `SELECT key_hash FROM api_keys WHERE id = ?`, k.ID).Scan(&hash); err != nil || hash == key || strings.Contains(hash, key[len(k.Prefix):]) {
		t.Fatalf("stored %q for key %q", hash, key)
	}
	p, err := s.APIKeyPrincipal(ctx, key)
	if err != nil || p.Kind != KindAPIKey || p.Role != RoleStaff || p.Name != "倉庫システム" || p.SessionID != "" {
		t.Fatalf("APIKeyPrincipal = %+v, %v", p, err)
	}
	for _, bad := range []string{"", "kessai_nope", key + "x", strings.TrimPrefix(key, APIKeyPrefix)} {
		if _, err := s.APIKeyPrincipal(ctx, bad); !errors.Is(err, ErrBadAPIKey) {
			t.Errorf("key %q: %v, want ErrBadAPIKey", bad, err)
		}
	}
	if _, _, err := s.CreateAPIKey(ctx, " ", "root"); errs.As(err) == nil || len(errs.As(err).Fields) != 2 {
		t.Errorf("invalid key: %v", err)
	}
	if err := s.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.APIKeyPrincipal(ctx, key); !errors.Is(err, ErrBadAPIKey) {
		t.Fatalf("revoked key: %v", err)
	}
	if err := s.RevokeAPIKey(ctx, k.ID); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("revoke twice: %v", err)
	}
	keys, err := s.APIKeys(ctx)
	if err != nil || len(keys) != 1 || !keys[0].Revoked() || keys[0].LastUsedAt.IsZero() {
		t.Fatalf("APIKeys = %+v, %v", keys, err)
	}
	if got := rec.actions(); got != "apikey.create apikey.revoke" {
		t.Errorf("audit = %q", got)
	}
}

func TestBootstrap(t *testing.T) {
	t.Parallel()
	s, _, _ := newTestService(t)
	ctx := context.Background()
	created, pw, err := s.Bootstrap(ctx, "", "")
	if err != nil || !created || len(pw) != 20 {
		t.Fatalf("Bootstrap = %v, %q, %v", created, pw, err)
	}
	if _, err := s.Login(ctx, LoginRequest{Email: "admin@kessai.local", Password: pw}); err != nil {
		t.Fatalf("login with generated password: %v", err)
	}
	created, pw, err = s.Bootstrap(ctx, "other@example.com", "")
	if err != nil || created || pw != "" {
		t.Fatalf("second Bootstrap = %v, %q, %v; want nothing done", created, pw, err)
	}
	if _, err := ParseRole("boss"); err == nil || !strings.Contains(err.Error(), "admin（管理者）") {
		t.Errorf("ParseRole error does not list the roles: %v", err)
	}
}

func TestThrottleIgnoresSlowFailures(t *testing.T) {
	t.Parallel()
	s, c, _ := newTestService(t)
	ctx := context.Background()
	mustUser(t, s, "shiro@example.com", RoleStaff)
	// Five failures spread over 20 minutes are a forgetful person, not a guesser.
	for i := 0; i < 5; i++ {
		_, _ = s.Login(ctx, LoginRequest{Email: "shiro@example.com", Password: "wrong-password"})
		c.Advance(5 * time.Minute)
	}
	if _, err := s.Login(ctx, LoginRequest{Email: "shiro@example.com", Password: "correct-horse-1"}); err != nil {
		t.Fatalf("after slow failures: %v", err)
	}
}
