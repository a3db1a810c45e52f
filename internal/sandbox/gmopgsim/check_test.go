package gmopgsim_test

import (
	"context"
	"strings"
	"testing"

	"kessai/internal/provider/gmopg"
)

func TestConnectionChecks(t *testing.T) {
	t.Parallel()
	e := started(t)
	ctx := context.Background()
	if err := e.client.CheckShop(ctx); err != nil {
		t.Errorf("CheckShop: %v", err)
	}
	if err := e.client.CheckSite(ctx); err != nil {
		t.Errorf("CheckSite: %v", err)
	}
	if err := gmopg.CheckSFTP(ctx, e.sftpConfig()); err != nil {
		t.Errorf("CheckSFTP: %v", err)
	}
	bad := e.cfg
	bad.ShopPass, bad.SitePass = "wrong", "wrong"
	wc := gmopg.New(bad)
	if err := wc.CheckShop(ctx); err == nil || !strings.Contains(err.Error(), "ショップIDかショップパスワード") || !gmopg.HasInfo(err, gmopg.InfoShopNotFound) {
		t.Errorf("CheckShop with a wrong password: %v", err)
	}
	if err := wc.CheckSite(ctx); err == nil || !strings.Contains(err.Error(), "サイトIDかサイトパスワード") {
		t.Errorf("CheckSite with a wrong password: %v", err)
	}
	down := e.cfg
	down.BaseURL = "http://127.0.0.1:1"
	if err := gmopg.New(down).CheckShop(ctx); err == nil || !strings.Contains(err.Error(), "接続できません") {
		t.Errorf("CheckShop with nothing listening: %v", err)
	}
	cfg := e.sftpConfig()
	cfg.Password = "wrong"
	if err := gmopg.CheckSFTP(ctx, cfg); err == nil || !strings.Contains(err.Error(), "ログインできません") {
		t.Errorf("CheckSFTP with a wrong password: %v", err)
	}
	// The checks create nothing at GMO-PG.
	if st := e.sim.Status(); st.Members != 0 || len(st.Trades) != 0 {
		t.Errorf("status after the checks = %+v", st)
	}
}
