// Package status lets each room declare its statuses once — stable code, Japanese label, and
// the actions each status allows — so the UI, the API and the tests all read the same table.
package status

import "fmt"

// Status is one state of a record.
type Status struct {
	Code    string   // stable, used in the database and the API (e.g. "awaiting_execution")
	Label   string   // Japanese label shown to people (e.g. "振込実行待ち")
	Level   string   // "", "warn", "error", "ok": how the UI colours it
	Final   bool     // no further transitions happen by themselves
	Actions []string // actions allowed in this status (e.g. "edit", "delete", "execute")
}

// Set is an ordered, immutable set of statuses.
type Set struct {
	name string
	list []Status
	by   map[string]Status
}

// NewSet declares the statuses of name (used in messages). It panics on a duplicate code: a
// declaration error found at start-up, never at run time.
func NewSet(name string, statuses ...Status) *Set {
	s := &Set{name: name, list: statuses, by: make(map[string]Status, len(statuses))}
	for _, st := range statuses {
		if _, dup := s.by[st.Code]; dup {
			panic(fmt.Sprintf("status: %s declares %q twice", name, st.Code))
		}
		s.by[st.Code] = st
	}
	return s
}

// All returns the statuses in declaration order.
func (s *Set) All() []Status { return append([]Status(nil), s.list...) }

// Get returns the status with code.
func (s *Set) Get(code string) (Status, bool) {
	st, ok := s.by[code]
	return st, ok
}

// Lookup returns the status with code, or one that shows the code itself when it is not
// declared (a page must still render a record written by a newer version).
func (s *Set) Lookup(code string) Status {
	if st, ok := s.by[code]; ok {
		return st
	}
	return Status{Code: code, Label: code}
}

// Valid reports whether code is declared.
func (s *Set) Valid(code string) bool {
	_, ok := s.by[code]
	return ok
}

// Label returns the Japanese label of code, or the code itself when unknown.
func (s *Set) Label(code string) string {
	if st, ok := s.by[code]; ok {
		return st.Label
	}
	return code
}

// Allows reports whether a record in status code may do action.
func (s *Set) Allows(code, action string) bool {
	st, ok := s.by[code]
	if !ok {
		return false
	}
	for _, a := range st.Actions {
		if a == action {
			return true
		}
	}
	return false
}

// Codes lists the codes, for validation messages ("使える値: …").
func (s *Set) Codes() []string {
	out := make([]string, len(s.list))
	for i, st := range s.list {
		out[i] = st.Code
	}
	return out
}

// Name is what the set describes (e.g. "買取ケースの状態").
func (s *Set) Name() string { return s.name }
