package gmopg

import (
	"context"
	"errors"
	"fmt"
)

// probeID is an OrderID and MemberID that is never used for business, so the 接続テスト's calls
// touch nothing: GMO-PG answers "not found" when the credentials are right.
const probeID = "kessai-connection-check"

// CheckShop proves the shop credentials with a harmless SearchTrade of an order that does not
// exist: E01110002 (no such transaction) means GMO-PG accepted ShopID and ShopPass. The error,
// when there is one, says in Japanese what to fix.
func (c *Client) CheckShop(ctx context.Context) error {
	_, err := c.SearchTrade(ctx, probeID)
	return checkAnswer(err, InfoTranNotFound, "ショップIDかショップパスワード", InfoShopNotFound, InfoShopIDMissing, InfoShopPassMissing)
}

// CheckSite proves the site credentials the same way with SearchMember (E01390002 means the site
// was accepted).
func (c *Client) CheckSite(ctx context.Context) error {
	_, err := c.SearchMember(ctx, probeID)
	return checkAnswer(err, InfoMemberNotFound, "サイトIDかサイトパスワード", InfoSiteNotFound, InfoSiteIDFormat)
}

func checkAnswer(err error, fine, what string, wrong ...string) error {
	if err == nil || HasInfo(err, fine) && !HasInfo(err, wrong...) {
		return nil
	}
	if HasInfo(err, wrong...) {
		return fmt.Errorf("GMO-PG が%sを受け付けませんでした（%w）", what, err)
	}
	if _, ok := errors.AsType[*TransportError](err); ok {
		return fmt.Errorf("GMO-PG に接続できません。接続先URLを確認してください（%w）", err)
	}
	return fmt.Errorf("GMO-PG の応答が想定外です（%w）", err)
}

// CheckSFTP logs in to the file exchange server and lists the request directory. With an empty
// HostKey, cfg.OnFirstKey decides whether to trust (and store) the presented key.
func CheckSFTP(ctx context.Context, cfg SFTPConfig) error {
	c, err := DialSFTP(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.List(RequestDir); err != nil {
		return fmt.Errorf("SFTP にログインできましたが %s を読めません（%w）", RequestDir, err)
	}
	return nil
}
