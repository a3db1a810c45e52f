package cardupdate

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"kessai/internal/api"
	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/gmopg"
	"kessai/internal/web"
)

// StoredCard is a customer's GMO-PG card as the customer page and the API show it: masked,
// with the latest 洗替 result.
type StoredCard struct {
	commerce.Card
	Expiry           string `json:"expiry"` // MM/YY
	Brand            string `json:"brand"`  // VISA, MASTER, JCB, AMEX, DINERS ("" when unknown)
	CardUpdateStatus string `json:"card_update_status"`
	CardUpdateLabel  string `json:"card_update_label"`
	NeedsNewCard     bool   `json:"needs_new_card"` // 要カード変更
}

// Cards lists the customer's GMO-PG cards with their latest 洗替 result.
func (s *Service) Cards(ctx context.Context, store *commerce.Store, customerID string) ([]StoredCard, error) {
	if _, err := store.GetCustomer(ctx, customerID); err != nil {
		return nil, err
	}
	cs, err := store.CustomerCards(ctx, customerID)
	if err != nil {
		return nil, err
	}
	out := []StoredCard{}
	for _, c := range cs {
		if c.Provider != ProviderGMOPG {
			continue
		}
		st, brand := StatusUnchecked, ""
		err := s.db.QueryRowContext(ctx, `SELECT COALESCE((SELECT status FROM cardupdate_card_status WHERE card_id = ?), ?),
			COALESCE((SELECT brand FROM cardupdate_card_info WHERE card_id = ?), '')`, c.ID, StatusUnchecked, c.ID).Scan(&st, &brand)
		if err != nil {
			return nil, fmt.Errorf("cardupdate: card %s: %w", c.ID, err)
		}
		if brand == "" {
			brand = BrandOf(c.MaskedPAN)
		}
		out = append(out, StoredCard{Card: c, Expiry: c.Expiry(), Brand: brand, CardUpdateStatus: st, CardUpdateLabel: CardStatuses.Label(st), NeedsNewCard: Failed(st)})
	}
	return out, nil
}

// RegisterCard stores a card at GMO-PG from a card form token (the member is the customer's
// ID, made on first use) as the member's 洗替 target, and its masked reference in kessai.
func (s *Service) RegisterCard(ctx context.Context, store *commerce.Store, customerID, token string) (StoredCard, error) {
	if token == "" {
		return StoredCard{}, errs.Invalid("カードのトークンがありません").Field("token", "カード入力フォームで作ったトークンを送ってください")
	}
	cu, err := store.GetCustomer(ctx, customerID)
	if err != nil {
		return StoredCard{}, err
	}
	cn, err := s.conn.Get(ctx)
	if err != nil {
		return StoredCard{}, err
	}
	cl, err := s.conn.Client(cn)
	if err != nil {
		return StoredCard{}, err
	}
	member := cu.ID
	if _, err := cl.SearchMember(ctx, member); gmopg.HasInfo(err, gmopg.InfoMemberNotFound) {
		if err := cl.SaveMember(ctx, member, cu.Name); err != nil {
			return StoredCard{}, fmt.Errorf("GMO-PG に会員を登録できません: %w", err)
		}
	} else if err != nil {
		return StoredCard{}, fmt.Errorf("GMO-PG の会員を照会できません: %w", err)
	}
	saved, err := cl.SaveCard(ctx, gmopg.SaveCardInput{MemberID: member, Default: true, Token: token})
	if err != nil {
		return StoredCard{}, errs.Invalid("カードを登録できませんでした: " + err.Error())
	}
	expire := ""
	if got, err := cl.SearchCard(ctx, member, saved.CardSeq); err == nil && len(got) > 0 {
		expire = got[0].Expire
	}
	c, err := store.CreateCard(ctx, commerce.Card{CustomerID: cu.ID, Provider: ProviderGMOPG, MemberID: member,
		CardSeq: strconv.Itoa(saved.CardSeq), MaskedPAN: saved.MaskedNo, ExpireYM: expire})
	if err != nil {
		return StoredCard{}, err
	}
	brand := saved.Brand
	if brand == "" {
		brand = BrandOf(saved.MaskedNo)
	}
	if err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO cardupdate_card_info (card_id, brand, created_at) VALUES (?, ?, ?)`, c.ID, brand, s.now())
		return err
	}); err != nil {
		return StoredCard{}, fmt.Errorf("cardupdate: card %s brand: %w", c.ID, err)
	}
	return StoredCard{Card: c, Expiry: c.Expiry(), Brand: brand, CardUpdateStatus: StatusUnchecked, CardUpdateLabel: CardStatuses.Label(StatusUnchecked)}, nil
}

// DeleteCard deletes the card at GMO-PG and in kessai (refused while a subscription uses it).
func (s *Service) DeleteCard(ctx context.Context, store *commerce.Store, customerID, cardID string) error {
	c, err := store.GetCard(ctx, cardID)
	if err != nil {
		return err
	}
	if c.CustomerID != customerID || c.Provider != ProviderGMOPG {
		return errs.NotFound("この顧客のカードではありません: " + cardID)
	}
	var used int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM subscriptions WHERE card_id = ? AND status <> 'cancelled'`, cardID).Scan(&used); err != nil {
		return err
	}
	if used > 0 {
		return errs.Conflict("このカードは定期受注で使われているため削除できません。先に定期受注のカードを変更してください")
	}
	cn, err := s.conn.Get(ctx)
	if err != nil {
		return err
	}
	cl, err := s.conn.Client(cn)
	if err != nil {
		return err
	}
	seq, _ := strconv.Atoi(c.CardSeq)
	if err := cl.DeleteCard(ctx, c.MemberID, seq); err != nil && !gmopg.HasInfo(err, gmopg.InfoCardNotFound) {
		return fmt.Errorf("GMO-PG のカードを削除できません: %w", err)
	}
	if err := store.DeleteCard(ctx, cardID, c.Version); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM cardupdate_card_info WHERE card_id = ?`, cardID)
		return err
	})
}

// BrandOf names the brand of a card number whose first digits are shown (411111******1111);
// "" when they are masked.
func BrandOf(masked string) string {
	digits := func(n int) int {
		if len(masked) < n {
			return -1
		}
		v, err := strconv.Atoi(masked[:n])
		if err != nil {
			return -1
		}
		return v
	}
	switch d2, d4 := digits(2), digits(4); {
	case digits(1) == 4:
		return "VISA"
	case d2 >= 51 && d2 <= 55, d4 >= 2221 && d4 <= 2720:
		return "MASTER"
	case d2 == 35:
		return "JCB"
	case d2 == 34, d2 == 37:
		return "AMEX"
	case d2 == 36, d2 == 38, d2 == 39, d2 == 30:
		return "DINERS"
	}
	return ""
}

// CardBody registers a card.
type CardBody struct {
	Token string `json:"token"` // from the card form (sandbox: POST /sandbox/gmopg/token)
}

func registerCardAPI(v1 *api.API, svc *Service, store *commerce.Store) {
	const tag = "カード洗替"
	ids := map[string]string{"id": "顧客ID"}
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/customers/{id}/cards", Perm: auth.PermOperate, ID: "registerCustomerCard", Tag: tag,
		Summary: "顧客のカードを GMO-PG に登録（トークン）", PathParams: ids, Request: CardBody{}, Response: StoredCard{}}, func(w http.ResponseWriter, r *http.Request) {
		var b CardBody
		if err := web.DecodeJSON(r, &b); err != nil {
			web.WriteError(w, r, err)
			return
		}
		c, err := svc.RegisterCard(r.Context(), store, r.PathValue("id"), b.Token)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusCreated, c)
	})
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/customers/{id}/cards", Perm: auth.PermView, ID: "listCustomerCards", Tag: tag,
		Summary: "顧客のカード（マスク済み番号・有効期限・最新の洗替結果）", PathParams: ids, Response: []StoredCard{}}, func(w http.ResponseWriter, r *http.Request) {
		cs, err := svc.Cards(r.Context(), store, r.PathValue("id"))
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, cs)
	})
	v1.Handle(api.Operation{Method: http.MethodDelete, Path: "/api/v1/customers/{id}/cards/{card_id}", Perm: auth.PermOperate, ID: "deleteCustomerCard", Tag: tag,
		Summary: "顧客のカードを削除（GMO-PG からも）", PathParams: map[string]string{"id": "顧客ID", "card_id": "カードID"}}, func(w http.ResponseWriter, r *http.Request) {
		if err := svc.DeleteCard(r.Context(), store, r.PathValue("id"), r.PathValue("card_id")); err != nil {
			web.WriteError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
