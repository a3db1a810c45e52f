package gmopgsim

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"kessai/internal/provider/gmopg"
)

// hostKey loads the SFTP host key from the state dir, creating it on first use, so the key a
// client recorded stays valid across restarts. It is made once even when asked concurrently.
func (s *Sim) hostKey() (ssh.Signer, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.signer != nil {
		return s.signer, nil
	}
	k, err := s.loadHostKey()
	if err == nil {
		s.signer = k
	}
	return k, err
}

func (s *Sim) loadHostKey() (ssh.Signer, error) {
	p := filepath.Join(s.opts.StateDir, "sftp_host_ed25519")
	if b, err := os.ReadFile(p); err == nil {
		return ssh.ParsePrivateKey(b)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("gmopgsim: host key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("gmopgsim: host key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "gmopgsim")
	if err != nil {
		return nil, fmt.Errorf("gmopgsim: host key: %w", err)
	}
	b := pem.EncodeToMemory(block)
	if err := writeFileAtomic(p, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return nil, fmt.Errorf("gmopgsim: host key: %w", err)
	}
	return ssh.ParsePrivateKey(b)
}

// HostKey is the SFTP server's public key in authorized_keys format (what a client records).
func (s *Sim) HostKey() (string, error) {
	k, err := s.hostKey()
	if err != nil {
		return "", err
	}
	return gmopg.MarshalHostKey(k.PublicKey()), nil
}

// SFTPAuthorizedKey lets a public key log in as the SFTP user besides the password
// (authorized_keys format); "" removes it.
func (s *Sim) SFTPAuthorizedKey(key string) error {
	if key != "" {
		if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(key)); err != nil {
			return fmt.Errorf("gmopgsim: authorized key: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authorizedKey = key
	return nil
}

func (s *Sim) sshConfig() (*ssh.ServerConfig, error) {
	signer, err := s.hostKey()
	if err != nil {
		return nil, err
	}
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	cfg := &ssh.ServerConfig{
		PasswordCallback: func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if eq(c.User(), s.opts.SFTPUser) && eq(string(pw), s.opts.SFTPPassword) {
				return nil, nil
			}
			return nil, errors.New("permission denied")
		},
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			s.mu.Lock()
			ak := s.authorizedKey
			s.mu.Unlock()
			if ak != "" && eq(c.User(), s.opts.SFTPUser) {
				if want, _, _, _, err := ssh.ParseAuthorizedKey([]byte(ak)); err == nil && bytes.Equal(want.Marshal(), key.Marshal()) {
					return nil, nil
				}
			}
			return nil, errors.New("permission denied")
		},
		MaxAuthTries: 3,
	}
	cfg.AddHostKey(signer)
	return cfg, nil
}

func (s *Sim) acceptLoop(ln net.Listener, cfg *ssh.ServerConfig) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		s.sftpMu.Lock()
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.sftpMu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.sftpMu.Lock()
				delete(s.conns, conn)
				s.sftpMu.Unlock()
				conn.Close()
			}()
			s.serveConn(conn, cfg)
		}()
	}
}

func (s *Sim) closeConns() {
	s.sftpMu.Lock()
	defer s.sftpMu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

func (s *Sim) serveConn(conn net.Conn, cfg *ssh.ServerConfig) {
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return // wrong credentials or a broken handshake: the client sees the refusal
	}
	defer sc.Close()
	_ = conn.SetDeadline(time.Time{})
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, in, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			for req := range in {
				ok := req.Type == "subsystem" && len(req.Payload) >= 4 && string(req.Payload[4:]) == "sftp"
				req.Reply(ok, nil)
			}
		}()
		srv := sftp.NewRequestServer(ch, sftp.Handlers{FileGet: s, FilePut: s, FileCmd: s, FileList: s})
		_ = srv.Serve()
		srv.Close()
	}
}

// The SFTP tree: /upload (request files, write once), /download (result files, read only).

func splitSFTPPath(p string) (dir, name string) {
	p = path.Clean("/" + p)
	dir, name = path.Split(p)
	return strings.TrimSuffix(dir, "/"), name
}

// Fileread serves a result file.
func (s *Sim) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	s.ProcessDue()
	dir, name := splitSFTPPath(r.Filepath)
	if dir != gmopg.ResultDir || name == "" || strings.HasPrefix(name, ".") {
		return nil, os.ErrPermission
	}
	f, err := os.Open(filepath.Join(s.filesDir(gmopg.ResultDir), name))
	if err != nil {
		return nil, os.ErrNotExist
	}
	return f, nil
}

// Filewrite accepts a request file: the right name for this site, one per month, before that
// month's result day.
func (s *Sim) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	dir, name := splitSFTPPath(r.Filepath)
	if dir != gmopg.RequestDir {
		return nil, os.ErrPermission
	}
	site, month, ok := gmopg.ParseRequestFileName(name)
	if !ok || site != s.opts.SiteID {
		return nil, fmt.Errorf("ファイル名は %s の形式です: %w", gmopg.RequestFileName(s.opts.SiteID, "YYYYMM"), os.ErrPermission)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.st.Uploads[month]; dup {
		// Assumed: the service takes one request per month, so a second file is refused.
		return nil, fmt.Errorf("%s の依頼ファイルは受付済みです: %w", month, os.ErrPermission)
	}
	if !s.now().Before(s.resultTime(month)) {
		return nil, fmt.Errorf("%s の依頼の受付期限を過ぎています: %w", month, os.ErrPermission)
	}
	tmp, err := os.CreateTemp(s.filesDir(gmopg.RequestDir), ".partial-*")
	if err != nil {
		return nil, err
	}
	u := &upload{Month: month, Name: name, Pending: true}
	s.st.Uploads[month] = u
	return &uploadFile{s: s, f: tmp, u: u}, nil
}

// uploadFile is a request file being written; Close accepts it.
type uploadFile struct {
	s *Sim
	f *os.File
	u *upload
}

func (w *uploadFile) WriteAt(p []byte, off int64) (int, error) { return w.f.WriteAt(p, off) }

// Close accepts the file, with the armed fault of the next money call applied (an upload is
// one): e92/42c refuse it unaccepted; e90010001 accepts it and answers an error;
// close_after_accept accepts it and drops the connection; timeout_after_accept accepts it and
// answers nothing until HangTimeout.
func (w *uploadFile) Close() error {
	s := w.s
	fault := s.takeFault("sftp_upload")
	if fault == FaultRateLimit || fault == FaultCardCompany {
		w.f.Close()
		os.Remove(w.f.Name())
		s.mu.Lock()
		delete(s.st.Uploads, w.u.Month)
		s.mu.Unlock()
		return fmt.Errorf("一時的に受け付けられません（障害注入 %s）", fault)
	}
	if err := w.accept(); err != nil {
		return err
	}
	switch fault {
	case FaultDoubleSubmission:
		return fmt.Errorf("受付後にエラー（障害注入 %s）", fault)
	case FaultCloseAfterAccept:
		s.closeConns()
		return fmt.Errorf("受付後に切断（障害注入 %s）", fault)
	case FaultTimeoutAfterAccept:
		s.sftpMu.Lock()
		done := s.done
		s.sftpMu.Unlock()
		select {
		case <-time.After(s.opts.HangTimeout):
		case <-done:
		}
		s.closeConns()
		return fmt.Errorf("受付後に無応答（障害注入 %s）", fault)
	}
	return nil
}

func (w *uploadFile) accept() error {
	s := w.s
	fi, err := w.f.Stat()
	if err == nil {
		err = endsWithTrailer(w.f, fi.Size())
	}
	cerr := w.f.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.f.Name(), filepath.Join(s.filesDir(gmopg.RequestDir), w.u.Name))
	}
	if err != nil {
		os.Remove(w.f.Name())
		delete(s.st.Uploads, w.u.Month)
		return err
	}
	w.u.Pending, w.u.UploadedAt, w.u.Size = false, s.now(), fi.Size()
	s.saveLocked()
	return nil
}

// trailerLine is the last record of a whole card update file.
var trailerLine = regexp.MustCompile(`(^|\n)"?#END"?,"?[0-9]+"?\r\n$`)

// endsWithTrailer refuses a file whose upload was cut off (the client's connection dropped,
// which closes the handle like a finished upload does): without the trailer it is discarded
// and the month stays open for the retry. Assumed behaviour; a file that ends well but is
// otherwise damaged is accepted and answered with an error file at processing.
func endsWithTrailer(f *os.File, size int64) error {
	n := min(size, 64)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, size-n); err != nil && err != io.EOF {
		return err
	}
	if !trailerLine.Match(buf) {
		return fmt.Errorf("終了レコード（\"#END\"）で終わっていないため受け付けませんでした（途中で切れたアップロード）: %w", os.ErrInvalid)
	}
	return nil
}

// Filecmd refuses changes to the tree (rename, remove, mkdir); Setstat is accepted and ignored.
func (s *Sim) Filecmd(r *sftp.Request) error {
	if r.Method == "Setstat" {
		return nil
	}
	return os.ErrPermission
}

// Filelist lists and stats the two directories and their files.
func (s *Sim) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	s.ProcessDue()
	p := path.Clean("/" + r.Filepath)
	switch r.Method {
	case "List":
		if p == "/" {
			return listerAt{dirInfo("upload"), dirInfo("download")}, nil
		}
		if p != gmopg.RequestDir && p != gmopg.ResultDir {
			return nil, os.ErrNotExist
		}
		entries, err := os.ReadDir(s.filesDir(p))
		if err != nil {
			return nil, err
		}
		var out listerAt
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if fi, err := e.Info(); err == nil {
				out = append(out, fi)
			}
		}
		return out, nil
	case "Stat", "Lstat":
		switch p {
		case "/":
			return listerAt{dirInfo("/")}, nil
		case gmopg.RequestDir, gmopg.ResultDir:
			return listerAt{dirInfo(path.Base(p))}, nil
		}
		dir, name := splitSFTPPath(p)
		if (dir != gmopg.RequestDir && dir != gmopg.ResultDir) || strings.HasPrefix(name, ".") {
			return nil, os.ErrNotExist
		}
		fi, err := os.Stat(filepath.Join(s.filesDir(dir), name))
		if err != nil {
			return nil, os.ErrNotExist
		}
		return listerAt{fi}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

type listerAt []os.FileInfo

func (l listerAt) ListAt(out []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if n < len(out) {
		return n, io.EOF
	}
	return n, nil
}

type dirInfo string

func (d dirInfo) Name() string       { return string(d) }
func (d dirInfo) Size() int64        { return 0 }
func (d dirInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o755 }
func (d dirInfo) ModTime() time.Time { return time.Time{} }
func (d dirInfo) IsDir() bool        { return true }
func (d dirInfo) Sys() any           { return nil }
