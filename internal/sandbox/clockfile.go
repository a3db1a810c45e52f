package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"kessai/internal/platform/clock"
)

// The sandbox clock's offset is kept in a small file of the data directory, so a restart
// continues where the clock was moved to instead of jumping back to the wall time (state
// machines and expiry rules assume time never runs backwards).

type clockState struct {
	OffsetNS int64     `json:"offset_ns"` // how far ahead of the wall clock
	SavedAt  time.Time `json:"saved_at"`
}

// RestoreClock moves c ahead by the offset saved at path; a missing file is no offset.
func RestoreClock(c *clock.Sandbox, path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sandbox clock: %w", err)
	}
	var st clockState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("sandbox clock %s: %w", path, err)
	}
	if d := time.Duration(st.OffsetNS) - c.Offset(); d > 0 {
		c.Advance(d)
	}
	return nil
}

// SaveClock writes c's offset to path (atomically: a crash leaves the old or the new file).
func SaveClock(c *clock.Sandbox, path string) error {
	b, err := json.Marshal(clockState{OffsetNS: int64(c.Offset()), SavedAt: time.Now().UTC()})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("sandbox clock: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sandbox-clock-*")
	if err != nil {
		return fmt.Errorf("sandbox clock: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("sandbox clock: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sandbox clock: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("sandbox clock: %w", err)
	}
	return nil
}
