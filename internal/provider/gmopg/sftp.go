package gmopg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// SFTPConfig says how to reach GMO-PG's file exchange server (the SFTP option of 自動洗替).
type SFTPConfig struct {
	Addr     string // host:port; port 22 when missing
	User     string
	Password string // password login, or
	// PrivateKey is a PEM private key for public-key login (used when set).
	PrivateKey []byte
	// HostKey is the server key recorded on the first connection, in authorized_keys format
	// ("ssh-ed25519 AAAA..."). A server presenting any other key is refused (*HostKeyError).
	HostKey string
	// OnFirstKey is called when HostKey is empty, with the key the server presented (trust on
	// first use): the caller stores it (in the settings) and returns nil to go on, or an error to
	// refuse. With neither HostKey nor OnFirstKey the connection is refused.
	OnFirstKey func(key string, fingerprint string) error
	Timeout    time.Duration // dial and handshake; 30 seconds when zero
}

// HostKeyError is a server whose key is not the recorded one: possibly another machine in the
// middle. An admin must confirm the new key before anything is uploaded.
type HostKeyError struct {
	Addr        string
	Want        string // fingerprint of the recorded key
	Got         string // fingerprint of the presented key
	PresentedAt string // the presented key in authorized_keys format, for the admin to record
}

func (e *HostKeyError) Error() string {
	if e.Want == "" {
		return fmt.Sprintf("gmopg: sftp %s: ホスト鍵が登録されていません（提示された鍵 %s）", e.Addr, e.Got)
	}
	return fmt.Sprintf("gmopg: sftp %s: ホスト鍵が登録済みの鍵と違います（登録 %s、提示 %s）", e.Addr, e.Want, e.Got)
}

// LoginError is a login the server refused: wrong login ID, password or key.
type LoginError struct {
	Addr string
	User string
	Err  error
}

func (e *LoginError) Error() string {
	return fmt.Sprintf("gmopg: sftp %s: ログインID %s でログインできません（ログインID・パスワード・鍵を確認してください）: %v", e.Addr, e.User, e.Err)
}

func (e *LoginError) Unwrap() error { return e.Err }

// MarshalHostKey writes a public key in authorized_keys format, the form SFTPConfig.HostKey
// takes.
func MarshalHostKey(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

func (cfg SFTPConfig) hostKeyCallback() ssh.HostKeyCallback {
	return func(_ string, _ net.Addr, key ssh.PublicKey) error {
		got := ssh.FingerprintSHA256(key)
		if cfg.HostKey == "" {
			if cfg.OnFirstKey == nil {
				return &HostKeyError{Addr: cfg.Addr, Got: got, PresentedAt: MarshalHostKey(key)}
			}
			return cfg.OnFirstKey(MarshalHostKey(key), got)
		}
		want, _, _, _, err := ssh.ParseAuthorizedKey([]byte(cfg.HostKey))
		if err != nil {
			return fmt.Errorf("gmopg: sftp: recorded host key unreadable: %w", err)
		}
		if !bytes.Equal(want.Marshal(), key.Marshal()) {
			return &HostKeyError{Addr: cfg.Addr, Want: ssh.FingerprintSHA256(want), Got: got, PresentedAt: MarshalHostKey(key)}
		}
		return nil
	}
}

// SFTPClient is a logged-in SFTP session. Close it when done.
type SFTPClient struct {
	ssh  *ssh.Client
	sftp *sftp.Client
}

// DialSFTP connects, verifies the host key and logs in. Wrong credentials fail here.
func DialSFTP(ctx context.Context, cfg SFTPConfig) (*SFTPClient, error) {
	addr := cfg.Addr
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "22")
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	var auth []ssh.AuthMethod
	if len(cfg.PrivateKey) > 0 {
		signer, err := ssh.ParsePrivateKey(cfg.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("gmopg: sftp: private key: %w", err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if cfg.Password != "" {
		auth = append(auth, ssh.Password(cfg.Password))
	}
	sc := &ssh.ClientConfig{User: cfg.User, Auth: auth, HostKeyCallback: cfg.hostKeyCallback(), Timeout: timeout}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("gmopg: sftp %s: %w", addr, err)
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, sc)
	if err != nil {
		conn.Close()
		if he, ok := errors.AsType[*HostKeyError](err); ok {
			return nil, he
		}
		if strings.Contains(err.Error(), "unable to authenticate") {
			return nil, &LoginError{Addr: addr, User: cfg.User, Err: err}
		}
		return nil, fmt.Errorf("gmopg: sftp %s: login as %s: %w", addr, cfg.User, err)
	}
	_ = conn.SetDeadline(time.Time{})
	client := ssh.NewClient(c, chans, reqs)
	s, err := sftp.NewClient(client)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("gmopg: sftp %s: start sftp: %w", addr, err)
	}
	return &SFTPClient{ssh: client, sftp: s}, nil
}

// Close ends the session.
func (c *SFTPClient) Close() error {
	err := c.sftp.Close()
	if e := c.ssh.Close(); err == nil {
		err = e
	}
	return err
}

// Upload writes r to dir/name. It refuses to overwrite an existing file: a request file is
// uploaded once per month, and the server refuses a second one too.
func (c *SFTPClient) Upload(dir, name string, r io.Reader) (int64, error) {
	p := path.Join(dir, name)
	f, err := c.sftp.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return 0, fmt.Errorf("gmopg: sftp: upload %s: %w", p, err)
	}
	n, err := f.ReadFrom(r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("gmopg: sftp: upload %s: %w", p, err)
	}
	return n, nil
}

// Open opens dir/name for reading; a missing file is an error for which IsNotExist is true
// (the result is not ready yet).
func (c *SFTPClient) Open(dir, name string) (io.ReadCloser, error) {
	p := path.Join(dir, name)
	f, err := c.sftp.Open(p)
	if err != nil {
		return nil, fmt.Errorf("gmopg: sftp: open %s: %w", p, err)
	}
	return f, nil
}

// Exists reports whether dir/name exists.
func (c *SFTPClient) Exists(dir, name string) (bool, error) {
	_, err := c.sftp.Stat(path.Join(dir, name))
	if err == nil {
		return true, nil
	}
	if IsNotExist(err) {
		return false, nil
	}
	return false, fmt.Errorf("gmopg: sftp: stat %s: %w", path.Join(dir, name), err)
}

// List names the files in dir.
func (c *SFTPClient) List(dir string) ([]string, error) {
	infos, err := c.sftp.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("gmopg: sftp: list %s: %w", dir, err)
	}
	out := make([]string, 0, len(infos))
	for _, fi := range infos {
		out = append(out, fi.Name())
	}
	return out, nil
}

// IsNotExist reports whether err says a file does not exist.
func IsNotExist(err error) bool {
	if errors.Is(err, os.ErrNotExist) {
		return true
	}
	se, ok := errors.AsType[*sftp.StatusError](err)
	return ok && se.FxCode() == sftp.ErrSSHFxNoSuchFile
}
