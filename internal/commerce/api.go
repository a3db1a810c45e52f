package commerce

import (
	"net/url"

	"kessai/internal/api"
	"kessai/internal/platform/errs"
)

// The /api/v1 operations on the shared records. Answers carry the Japanese label beside each
// status code; inputs use pointer fields so a PATCH changes only the fields it sends. An update
// may send "version" (the version it read) to refuse to overwrite a newer change (409); without
// it the fields are applied to the record as it is now.

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// checkPatchVersion refuses a PATCH based on an old version; a PATCH without one applies to
// the current record.
func checkPatchVersion(what, id string, v *int, have int) error {
	if v == nil {
		return nil
	}
	return checkVersion(what, id, *v, have)
}

func noVersionOnCreate(v *int) error {
	if v != nil {
		return errs.Invalid("入力内容を確認してください").Field("version", "version は更新のときだけ指定してください")
	}
	return nil
}

// RegisterAPI routes and describes the commerce operations on v1.
func RegisterAPI(v1 *api.API, s *Store) {
	h := apiHandlers{s: s}
	registerShopAPI(v1, h)
	registerCustomerAPI(v1, h)
	registerCaseAPI(v1, h)
	registerOrderAPI(v1, h)
	registerSubscriptionAPI(v1, h)
	registerCSVAPI(v1, h)
}

func sortParam(sorts []Sort) api.Param {
	p := api.Param{Name: "sort", Description: "並び順"}
	for _, s := range sorts {
		p.Enum = append(p.Enum, s.Key)
		p.Description += "、" + s.Key + "=" + s.Label
	}
	return p
}

type apiHandlers struct{ s *Store }

func noFilter(url.Values) (struct{}, error) { return struct{}{}, nil }

// VersionInput carries the version an action was based on (optional).
type VersionInput struct {
	Version *int `json:"version,omitempty"`
}

// versionOr returns *v, or the record's current version read by get when v is nil.
func versionOr(v *int, get func() (int, error)) (int, error) {
	if v != nil {
		return *v, nil
	}
	return get()
}
