package cardupdate

// SetApplyHook lets the tests stop a result's apply after a step (a crash at that point).
func (s *Service) SetApplyHook(f func(step string) error) { s.applyHook = f }
