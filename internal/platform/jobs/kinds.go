package jobs

import (
	"encoding/json"
	"sync"
)

// People see a job's kind as a Japanese label (「一括操作」, not bulk.run) and, where the job
// belongs to a record, a link to it. A kind gets its label from a Label method on its args,
// found when its worker is added, or from SetKindLabel for args a package can't change; the
// link comes from a Link method on the args, called on each job's own args.

// Labeler is implemented by job args that name their kind for people.
type Labeler interface{ Label() string }

// Linker is implemented by job args that point at the page of what the job works on
// (e.g. /bulk/runs/blk_…).
type Linker interface{ Link() string }

type kindInfo struct {
	mu     sync.RWMutex
	labels map[string]string
	links  map[string]func(encodedArgs []byte) string
}

func (k *kindInfo) init() {
	if k.labels == nil {
		k.labels, k.links = map[string]string{}, map[string]func([]byte) string{}
	}
}

// addArgs records what args of type T say about their kind.
func addArgs[T any](k *kindInfo, kind string) {
	var zero T
	k.mu.Lock()
	defer k.mu.Unlock()
	k.init()
	if l, ok := any(zero).(Labeler); ok {
		k.labels[kind] = l.Label()
	}
	if _, ok := any(zero).(Linker); ok {
		k.links[kind] = func(b []byte) string {
			var args T
			if json.Unmarshal(b, &args) != nil {
				return ""
			}
			return any(args).(Linker).Link()
		}
	}
}

// SetKindLabel names kind for people (for args whose package offers no Label method). It may
// be called at any time.
func (q *Queue) SetKindLabel(kind, label string) {
	q.kindInfo.mu.Lock()
	defer q.kindInfo.mu.Unlock()
	q.kindInfo.init()
	q.kindInfo.labels[kind] = label
}

// KindLabel is kind's label, or kind itself when it has none.
func (q *Queue) KindLabel(kind string) string {
	q.kindInfo.mu.RLock()
	defer q.kindInfo.mu.RUnlock()
	if l := q.kindInfo.labels[kind]; l != "" {
		return l
	}
	return kind
}

// Link is the page a job of kind with encodedArgs works on ("" when its args have no Link).
func (q *Queue) Link(kind string, encodedArgs []byte) string {
	q.kindInfo.mu.RLock()
	f := q.kindInfo.links[kind]
	q.kindInfo.mu.RUnlock()
	if f == nil {
		return ""
	}
	return f(encodedArgs)
}
