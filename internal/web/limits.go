package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
)

// Request bounds. A body is capped before anything parses it: every route gets DefaultMaxBody
// unless it declares its own (the login form a few KB, LimitBody); upload routes (Upload) get
// Limits.MaxUpload and stream their file to disk.
const (
	DefaultMaxBody   = 1 << 20 // forms and JSON: a bulk selection of thousands of IDs fits
	DefaultMaxUpload = 1 << 30 // CSV imports (KESSAI_MAX_IMPORT_BYTES)
	// MaxQueryValue bounds one query value in characters (search text reaches LIKE patterns);
	// MaxURLValue is for parameters holding a URL (next, return_to); id lists are bounded only
	// by the header size and the parameter count.
	MaxQueryValue = 500
	MaxURLValue   = 4000
	// MaxPage bounds page=: deep enough for any list, far from overflowing an offset.
	MaxPage = 100_000
	// maxFormValue caps one non-file field of an upload form.
	maxFormValue = 64 << 10
	// uploadStep is how much an upload must deliver within Limits.UploadIdle to keep going.
	uploadStep = 256 << 10
)

// Limits bound what a request may send and how slowly.
type Limits struct {
	MaxBody   int64 // default cap (DefaultMaxBody when 0)
	MaxUpload int64 // cap of upload routes (DefaultMaxUpload when 0)
	// BodyTimeout is how long a bounded body may take to arrive (20 s when 0): a sender of one
	// byte every few seconds is cut off instead of holding a connection.
	BodyTimeout time.Duration
	// UploadIdle is how long an upload may take to deliver each 256 KiB (60 s when 0).
	UploadIdle time.Duration
	// WriteTimeout is the time the response of an upload gets once the file is in (the
	// server's write deadline would have run out while the file was arriving).
	WriteTimeout time.Duration
	TempDir      string // where uploads are written; "" is os.TempDir()
}

func (l Limits) withDefaults() Limits {
	if l.MaxBody <= 0 {
		l.MaxBody = DefaultMaxBody
	}
	if l.MaxUpload <= 0 {
		l.MaxUpload = DefaultMaxUpload
	}
	if l.BodyTimeout <= 0 {
		l.BodyTimeout = 20 * time.Second
	}
	if l.UploadIdle <= 0 {
		l.UploadIdle = 60 * time.Second
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = 5 * time.Minute
	}
	return l
}

// LimitBody gives one route its own body cap (the login form needs a few KB).
func (rt *Router) LimitBody(method, path string, n int64) {
	if rt.bodyLimits == nil {
		rt.bodyLimits = map[string]int64{}
	}
	rt.bodyLimits[method+" "+path] = n
}

// Upload marks a route as receiving a file: its body may be up to Limits.MaxUpload and is
// streamed to a temporary file, which the handler reads with Uploaded. The file is removed when
// the request ends unless the handler Keeps it.
func (rt *Router) Upload(method, path string) {
	if rt.uploads == nil {
		rt.uploads = map[string]bool{}
	}
	rt.uploads[method+" "+path] = true
}

// Bound is the outermost guard of every request: it refuses a malformed or oversized query
// (400, 422 naming the limit), caps the body by route before anything reads it (413), sets
// how long the body may take (408), parses form bodies once so that no copy of the request
// parses them again, and removes whatever an upload wrote to disk when the request ends.
func (rt *Router) Bound(l Limits, next http.Handler) http.Handler {
	l = l.withDefaults()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkQuery(r.URL.RawQuery); err != nil {
			rt.fail(w, r, err)
			return
		}
		_, pattern := rt.mux.Handler(r)
		rc := http.NewResponseController(w)
		if rt.uploads[pattern] {
			if r.ContentLength > l.MaxUpload {
				rt.fail(w, r, tooLarge(l.MaxUpload))
				return
			}
			st := &uploadState{limits: l, rc: rc, perm: rt.perms[pattern]}
			_ = rc.SetReadDeadline(time.Now().Add(l.UploadIdle))
			r.Body = &pacedReader{r: http.MaxBytesReader(w, r.Body, l.MaxUpload), st: st}
			defer st.cleanup()
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), uploadKey{}, st)))
			return
		}
		limit := l.MaxBody
		if n, ok := rt.bodyLimits[pattern]; ok {
			limit = n
		}
		if r.ContentLength > limit {
			rt.fail(w, r, tooLarge(limit))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			_ = rc.SetReadDeadline(time.Now().Add(l.BodyTimeout))
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if err := parseBoundedForm(r, limit); err != nil {
				rt.fail(w, r, err)
				return
			}
			if r.MultipartForm != nil {
				defer r.MultipartForm.RemoveAll()
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (rt *Router) fail(w http.ResponseWriter, r *http.Request, err error) {
	if strings.HasPrefix(r.URL.Path, "/api/") || rt.render == nil {
		WriteError(w, r, err)
		return
	}
	rt.render.Error(w, r, err)
}

func tooLarge(limit int64) error {
	return errs.E(errs.KindTooLarge, "送信されたデータが大きすぎます（"+FormatBytes(limit)+"まで）")
}

// FormatBytes is 1GB, 8KB, 1MB: how the limits are named in messages.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KB"
	}
	return Comma(int(n)) + "バイト"
}

// bodyError turns what reading a bounded body failed with into a status a client can act on.
func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	var timeout interface{ Timeout() bool }
	switch {
	case errors.As(err, &tooBig):
		return tooLarge(tooBig.Limit)
	case errors.As(err, &timeout) && timeout.Timeout():
		return errs.E(errs.KindTimeout, "データの受信に時間がかかりすぎたため打ち切りました。通信環境を確認してもう一度送信してください").Wrap(err)
	case errs.As(err) != nil:
		return err
	}
	return errs.E(errs.KindBadRequest, "送信されたデータを読み取れません").Wrap(err)
}

// parseBoundedForm parses a form body now, on the request every later copy is made from, with
// every part held in memory (the body is already capped at limit, so nothing goes to disk).
func parseBoundedForm(r *http.Request, limit int64) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch mt {
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	case "multipart/form-data":
		err = r.ParseMultipartForm(limit + 1)
	default:
		return nil
	}
	if err != nil {
		return bodyError(err)
	}
	return nil
}

// checkQuery refuses what a handler could not read faithfully: a query Go does not parse (bad
// escapes, more than 10,000 parameters: the filter would silently vanish), an over-long value
// (search text ends up in LIKE patterns), and a page number out of range.
func checkQuery(raw string) error {
	if raw == "" {
		return nil
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return errs.E(errs.KindBadRequest, "URLのクエリを読み取れません（パラメータは10,000個まで。%の後は16進数2桁）").Wrap(err)
	}
	f := errs.Fields{}
	for k, vs := range q {
		limit := MaxQueryValue
		switch k {
		case "id":
			continue
		case "next", "return_to", "back":
			limit = MaxURLValue
		}
		for _, v := range vs {
			if n := utf8.RuneCountInString(v); n > limit {
				f.Add(k, fmt.Sprintf("%s文字以下にしてください（%s文字あります）", Comma(limit), Comma(n)))
			}
		}
	}
	if vs, ok := q["page"]; ok {
		for _, v := range vs {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); v != "" && (err != nil || n < 1 || n > MaxPage) {
				f.Add("page", fmt.Sprintf("ページ番号は1〜%sの整数で指定してください", Comma(MaxPage)))
			}
		}
	}
	if len(f) > 0 {
		e := errs.Invalid("検索条件を確認してください")
		for k, m := range f {
			e.Field(k, m)
		}
		return e
	}
	return nil
}

// Upload is the file an upload route received, on disk.
type Upload struct {
	Field    string // the form field ("" for a body sent as is)
	Filename string // the name the browser gave ("" for a body sent as is)
	Path     string
	Size     int64
	st       *uploadState
}

// Open opens the file for reading.
func (u *Upload) Open() (*os.File, error) { return os.Open(u.Path) }

// Keep hands the file over to the caller (a job that imports it later): it is no longer
// removed when the request ends, and the caller must remove it.
func (u *Upload) Keep() string {
	u.st.mu.Lock()
	defer u.st.mu.Unlock()
	for i, p := range u.st.files {
		if p == u.Path {
			u.st.files = append(u.st.files[:i], u.st.files[i+1:]...)
			break
		}
	}
	return u.Path
}

// ErrNoUpload means the request carried no file.
var ErrNoUpload = errors.New("web: no file uploaded")

type uploadKey struct{}

type uploadState struct {
	limits   Limits
	rc       *http.ResponseController
	perm     auth.Perm // the route's: a principal without it gets none of its file written
	mu       sync.Mutex
	received bool
	up       *Upload
	err      error
	files    []string
	read     int64 // bytes since the read deadline was last extended
}

func (st *uploadState) cleanup() {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, p := range st.files {
		_ = os.Remove(p)
	}
	st.files = nil
}

// pacedReader extends the read deadline while an upload keeps arriving at a sane rate.
type pacedReader struct {
	r  io.ReadCloser
	st *uploadState
}

func (p *pacedReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.st.read += int64(n)
	if p.st.read >= uploadStep {
		p.st.read = 0
		_ = p.st.rc.SetReadDeadline(time.Now().Add(p.st.limits.UploadIdle))
	}
	return n, err
}

func (p *pacedReader) Close() error { return p.r.Close() }

// IsUpload reports whether r is for an upload route.
func IsUpload(r *http.Request) bool {
	_, ok := r.Context().Value(uploadKey{}).(*uploadState)
	return ok
}

// Uploaded receives the file of an upload route — the first file part of a multipart form
// (its other fields go to r.PostForm), or the body itself — into a temporary file, and returns
// it. check, when not nil, is called with the form's fields before the first byte of the file
// is written (the CSRF middleware checks its token there). Later calls return the same file.
func Uploaded(r *http.Request, check func(url.Values) error) (*Upload, error) {
	st, ok := r.Context().Value(uploadKey{}).(*uploadState)
	if !ok {
		return nil, errors.New("web: Uploaded called outside an upload route")
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.received {
		st.received = true
		// The CSRF middleware reads the form before the route's guard has run: a session the
		// guard will refuse (a viewer importing) must not get its file written first.
		if p := auth.FromContext(r.Context()); st.perm != "" && st.perm != auth.PermPublic && (p == nil || !p.Can(st.perm)) {
			st.err = errs.Forbidden("この操作を行う権限がありません")
			return nil, st.err
		}
		st.up, st.err = st.receive(r, check)
		// Writing the answer gets its own time from here: the server's write deadline ran
		// while the file was arriving. After a failed upload the read deadline stays, so the
		// server does not wait for the rest of a slow body before answering.
		_ = st.rc.SetWriteDeadline(time.Now().Add(st.limits.WriteTimeout))
		if st.err == nil {
			_ = st.rc.SetReadDeadline(time.Time{})
		}
	}
	return st.up, st.err
}

func (st *uploadState) receive(r *http.Request, check func(url.Values) error) (*Upload, error) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	values := url.Values{}
	// Set the form now, so nothing downstream tries to parse the consumed body again.
	r.Form, r.PostForm = values, values
	r.MultipartForm = &multipart.Form{Value: values}
	if mt != "multipart/form-data" {
		if check != nil {
			if err := check(values); err != nil {
				return nil, err
			}
		}
		return st.save(r.Body, "", "")
	}
	if params["boundary"] == "" {
		return nil, errs.E(errs.KindBadRequest, "multipart の境界（boundary）がありません")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var up *Upload
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, bodyError(err)
		}
		name := part.FormName()
		if part.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(part, maxFormValue+1))
			if err != nil {
				return nil, bodyError(err)
			}
			if len(b) > maxFormValue {
				return nil, errs.E(errs.KindTooLarge, "フォームの項目 "+name+" が大きすぎます（"+FormatBytes(maxFormValue)+"まで）")
			}
			values.Add(name, string(b))
			continue
		}
		if up != nil {
			return nil, errs.Invalid("ファイルは1つだけ送ってください")
		}
		if check != nil {
			if err := check(values); err != nil {
				return nil, err
			}
			check = nil
		}
		if up, err = st.save(part, name, part.FileName()); err != nil {
			return nil, err
		}
	}
	if check != nil {
		if err := check(values); err != nil {
			return nil, err
		}
	}
	if up == nil {
		return nil, ErrNoUpload
	}
	return up, nil
}

func (st *uploadState) save(src io.Reader, field, filename string) (*Upload, error) {
	f, err := os.CreateTemp(st.limits.TempDir, "kessai-upload-*")
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	st.files = append(st.files, f.Name())
	n, err := io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, bodyError(err)
	}
	if n == 0 && filename == "" && field == "" {
		return nil, ErrNoUpload
	}
	return &Upload{Field: field, Filename: filename, Path: f.Name(), Size: n, st: st}, nil
}

// UploadLimit is the cap of r's upload route (0 outside one), for messages.
func UploadLimit(r *http.Request) int64 {
	if st, ok := r.Context().Value(uploadKey{}).(*uploadState); ok {
		return st.limits.MaxUpload
	}
	return 0
}
