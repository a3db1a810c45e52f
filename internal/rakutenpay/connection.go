package rakutenpay

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/connection"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/rakuten"
	"kessai/internal/sandbox/rakutensim"
)

// ProviderKey is Rakuten's key in the connection registry (per shop).
const ProviderKey = "rakuten"

// Field names of a shop's stored settings.
const (
	FieldServiceSecret = "service_secret"
	FieldLicenseKey    = "license_key"
	FieldLicenseExpiry = "license_key_expires_on"
	FieldImport        = "import"
	FieldAutoConfirm   = "auto_confirm"
	FieldAPIURL        = "api_url"
	mapPrefix          = "map_"
)

// LicenseWarnDays is how long before the licenseKey expires the top page warns.
const LicenseWarnDays = 14

// MapField is the settings field holding the kessai payment method of a settlement method.
func MapField(c rakuten.SettlementCode) string { return mapPrefix + strconv.Itoa(int(c)) }

func (s *Service) provider(sandboxURL string) connection.Provider {
	sim := ""
	if sandboxURL != "" {
		sim = rakutensim.Name
	}
	use := []connection.Option{{Value: "off", Label: "利用しない"}, {Value: "on", Label: "利用する"}}
	methods := []connection.Option{{Value: "", Label: "（未設定: 取り込まずに一覧に出す）"}}
	for _, m := range commerce.PaymentMethods.All() {
		methods = append(methods, connection.Option{Value: m.Code, Label: m.Label})
	}
	fields := []connection.Field{
		{Name: FieldServiceSecret, Label: "serviceSecret", Secret: true, Required: true, SandboxValue: rakutensim.DefaultServiceSecret},
		{Name: FieldLicenseKey, Label: "licenseKey", Secret: true, Required: true, SandboxValue: rakutensim.DefaultLicenseKey,
			Help: "RMS の「WEB APIサービス」で発行したキー。有効期限は発行から90日です"},
		{Name: FieldLicenseExpiry, Label: "licenseKey の有効期限", Help: "YYYY-MM-DD。14日前からトップ画面に警告を出します"},
		{Name: FieldImport, Label: "受注取込", Options: use, Default: "off",
			Help: "利用する: 新しい注文の取込と、与信・入金・キャンセルの反映を始めます"},
		{Name: FieldAutoConfirm, Label: "注文確認の自動送信", Options: use, Default: "off",
			Help: "利用する: 取り込んだ注文確認待ち（100）の注文を楽天へ注文確認（confirmOrder）します"},
		{Name: FieldAPIURL, Label: "APIの接続先", Endpoint: true, Production: rakuten.DefaultBaseURL, Sandbox: sandboxURL,
			Help: "空欄なら自動（サンドボックスではシミュレーター、本番は " + rakuten.DefaultBaseURL + "）"},
	}
	for _, c := range rakuten.SettlementCodes() {
		label := fmt.Sprintf("決済方法 %d %s", int(c), c.Label())
		help := "この楽天の決済方法の注文を kessai のどの支払方法にするか（未設定の決済方法の注文は取り込みません）"
		if f := c.FormerLabels(); len(f) > 0 {
			help += "。旧名称: " + strings.Join(f, "、")
		}
		fields = append(fields, connection.Field{Name: MapField(c), Label: label, Options: methods, Help: help})
	}
	return connection.Provider{
		Key: ProviderKey, Label: "楽天市場（RMS 受注API）", Rooms: []string{"楽天ペイ"}, PerShop: true, Simulator: sim,
		Fields: fields, Test: s.testConnection,
	}
}

// ShopConfig is a shop's Rakuten connection as the poll uses it.
type ShopConfig struct {
	ShopID      string
	Import      bool
	AutoConfirm bool
	// ExpiresOn is the licenseKey's expiry (YYYY-MM-DD, "" when not entered).
	ExpiresOn string
	Mapping   map[rakuten.SettlementCode]string
	Sandbox   bool
	Client    *rakuten.Client
}

// Config reads shop's connection and builds its client (sharing the shop's throttle).
func (s *Service) Config(ctx context.Context, shopID string) (*ShopConfig, error) {
	c, err := s.conns.Get(ctx, ProviderKey, shopID)
	if err != nil {
		return nil, err
	}
	return s.configOf(c)
}

func (s *Service) configOf(c *connection.Conn) (*ShopConfig, error) {
	secret, err := c.Secret(FieldServiceSecret)
	if err != nil {
		return nil, err
	}
	key, err := c.Secret(FieldLicenseKey)
	if err != nil {
		return nil, err
	}
	cfg := &ShopConfig{ShopID: c.ShopID, Import: c.Value(FieldImport) == "on", AutoConfirm: c.Value(FieldAutoConfirm) == "on",
		ExpiresOn: strings.TrimSpace(c.Value(FieldLicenseExpiry)), Mapping: map[rakuten.SettlementCode]string{}, Sandbox: c.Sandbox}
	for _, code := range rakuten.SettlementCodes() {
		if m := c.Value(MapField(code)); m != "" {
			cfg.Mapping[code] = m
		}
	}
	cfg.Client = rakuten.New(rakuten.Config{BaseURL: c.Endpoint(FieldAPIURL), ServiceSecret: secret, LicenseKey: key,
		HTTPClient: s.httpClient, Timeout: s.callTimeout, Throttle: s.throttles.For(c.ShopID)})
	return cfg, nil
}

// expiry is the licenseKey's expiry day, false when it is not entered or malformed.
func (c *ShopConfig) expiry() (time.Time, bool, error) {
	if c.ExpiresOn == "" {
		return time.Time{}, false, nil
	}
	t, err := time.ParseInLocation("2006-01-02", c.ExpiresOn, clock.JST)
	if err != nil {
		return time.Time{}, false, errs.Invalid("licenseKey の有効期限は YYYY-MM-DD で入力してください: "+c.ExpiresOn).Field(FieldLicenseExpiry, "例: 2027-03-31")
	}
	return t, true, nil
}

// Expired reports whether the licenseKey's expiry day has passed at now (the key is usable on
// its expiry day).
func (c *ShopConfig) Expired(now time.Time) (bool, error) {
	t, ok, err := c.expiry()
	if err != nil || !ok {
		return false, err
	}
	return !now.In(clock.JST).Before(t.AddDate(0, 0, 1)), nil
}

// testConnection is the 接続テスト: a searchOrder of the last minute (reads nothing of value).
func (s *Service) testConnection(ctx context.Context, c *connection.Conn) error {
	cfg, err := s.configOf(c)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	if exp, err := cfg.Expired(now); err != nil {
		return err
	} else if exp {
		return errs.Conflict("licenseKey の有効期限（" + cfg.ExpiresOn + "）が過ぎています。RMS で新しいキーを発行して入力してください")
	}
	_, err = cfg.Client.SearchOrder(ctx, rakuten.SearchRequest{DateType: rakuten.DateOrdered, StartDatetime: rakuten.At(now.Add(-time.Minute)),
		EndDatetime: rakuten.At(now), Pagination: rakuten.PaginationRequest{RecordsAmount: 30, Page: 1}})
	return explain(err)
}

// explain turns a client error into a sentence for the settings page and the poll's result.
func explain(err error) error {
	switch {
	case err == nil:
		return nil
	case rakuten.IsUnauthorized(err):
		return errs.Conflict("楽天が認証を拒否しました（ES01-01）。serviceSecret と licenseKey、licenseKey の有効期限（90日）を確認してください")
	case rakuten.IsGateway(err):
		return errs.Conflict("楽天のゲートウェイが拒否しました: " + err.Error() + "（RMS の利用機能で受注APIが有効か確認してください）")
	}
	return err
}
