package atobarai

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/db"
	"kessai/internal/provider/yamato"
)

// Resolvers settle the room's unknown outcomes by asking Yamato. Register each with
// Host.Resolve (or Janitor.Handle) under its operation.
func (s *Service) Resolvers() map[string]attempt.Resolver {
	return map[string]attempt.Resolver{
		OpCredit:   resolver{s, s.resolveCredit, s.applyCredit},
		OpShipment: resolver{s, s.resolveByStatus(OpShipment), s.applyOp(OpShipment)},
		OpCancel:   resolver{s, s.resolveByStatus(OpCancel), s.applyOp(OpCancel)},
		OpReduce:   resolver{s, s.resolveReduce, s.applyOp(OpReduce)},
	}
}

type resolver struct {
	s       *Service
	resolve func(ctx context.Context, cl *yamato.Client, a attempt.Attempt) (attempt.Outcome, error)
	apply   func(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error
}

func (r resolver) Resolve(ctx context.Context, a attempt.Attempt) (attempt.Outcome, error) {
	cl, _, err := r.s.clients.Client(ctx)
	if err != nil {
		return attempt.Outcome{}, err
	}
	return r.resolve(ctx, cl, a)
}

func (r resolver) Apply(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	return r.apply(ctx, tx, a, o)
}

// orderNoOf is the 受注番号 an attempt was sent for (its key is "orderNo" or "orderNo/op").
func orderNoOf(a attempt.Attempt) string {
	no, _, _ := strings.Cut(a.IdempotencyKey, "/")
	return no
}

// notThere is the outcome when Yamato does not know the order: unknown while the call is
// young (it may still be inside the follow-up window), never arrived after ConcludeAfter.
func (s *Service) notThere(a attempt.Attempt) attempt.Outcome {
	if s.wallNow().Sub(a.SentAt) < s.ConcludeAfter {
		return attempt.Outcome{State: attempt.Unknown, Message: "ヤマトはまだこの受注を知りません（登録待ちの可能性）"}
	}
	return attempt.Outcome{State: attempt.Failed, Code: "not_found", Message: "ヤマトに届いていませんでした（照会で受注番号が見つかりません）。内容を確認して再実行してください"}
}

// resolveCredit reads the credit result (KAARS0010). A cancelled order answers kaars008E, so
// "not found" is checked against the status (KAAST0010) before concluding it never arrived.
func (s *Service) resolveCredit(ctx context.Context, cl *yamato.Client, a attempt.Attempt) (attempt.Outcome, error) {
	no := orderNoOf(a)
	ans, err := cl.CreditResult(ctx, no)
	if err == nil {
		return creditOutcome(ans, nil), nil
	}
	if !yamato.IsNotFound(err) {
		return attempt.Outcome{}, fmt.Errorf("atobarai: ask credit result of %s: %w", no, err)
	}
	st, err := cl.Status(ctx, no)
	switch {
	case err == nil && st.Status == yamato.StatusCancelled:
		// It arrived and is withdrawn or cancelled already: the credit counts as NG.
		return attempt.Outcome{State: attempt.Succeeded, Code: string(yamato.CreditNG), Message: CreditStates.Label(CreditNG),
			Response: fmt.Sprintf("decision=%s status=%s requestDate=%s", CreditNG, st.Status, st.RequestDate)}, nil
	case err == nil:
		return attempt.Outcome{State: attempt.Unknown, Message: "与信結果はまだ読めません（取引状況 " + st.Status.Label() + "）"}, nil
	case yamato.IsNotFound(err):
		return s.notThere(a), nil
	}
	return attempt.Outcome{}, fmt.Errorf("atobarai: ask status of %s: %w", no, err)
}

// resolveByStatus settles a shipment or a cancel from the 取引状況 (KAAST0010): a shipment
// registered shows 送り状番号登録済 or a later state, a cancel 取消済.
func (s *Service) resolveByStatus(op string) func(ctx context.Context, cl *yamato.Client, a attempt.Attempt) (attempt.Outcome, error) {
	return func(ctx context.Context, cl *yamato.Client, a attempt.Attempt) (attempt.Outcome, error) {
		no := orderNoOf(a)
		st, err := cl.Status(ctx, no)
		if yamato.IsNotFound(err) {
			return s.notThere(a), nil
		}
		if err != nil {
			return attempt.Outcome{}, fmt.Errorf("atobarai: ask status of %s: %w", no, err)
		}
		resp := fmt.Sprintf("status=%s warning=%s requestDate=%s", st.Status, st.Warning, st.RequestDate)
		var done bool
		switch op {
		case OpShipment:
			switch st.Status {
			case yamato.StatusShipped, yamato.StatusInvestigating, yamato.StatusSold, yamato.StatusInvoiced, yamato.StatusPaid:
				done = true
			}
		case OpCancel:
			done = st.Status == yamato.StatusCancelled
		}
		if done {
			return attempt.Outcome{State: attempt.Succeeded, Response: resp}, nil
		}
		return attempt.Outcome{State: attempt.Failed, Code: "status_" + string(st.Status),
			Message: fmt.Sprintf("ヤマトの取引状況は「%s」: %sは届いていませんでした。内容を確認して再実行してください", st.Status.Label(), opLabel(op))}, nil
	}
}

// resolveReduce settles a reduction. Yamato offers no way to read an order's amount, but a
// reduction is "bill X from now on" and Yamato refuses one that changes nothing (kaakk049E):
// sending the same request again either applies it (it never arrived) or is refused as
// already applied — either way the amount is X once, never reduced twice. The transaction
// stays claimed meanwhile, so no other amount can be sent in between.
func (s *Service) resolveReduce(ctx context.Context, cl *yamato.Client, a attempt.Attempt) (attempt.Outcome, error) {
	t, err := s.Txn(ctx, a.RecordID)
	if err != nil {
		return attempt.Outcome{}, err
	}
	if t.attemptID != a.ID {
		return attempt.Outcome{}, fmt.Errorf("atobarai: reduction %s is no longer the transaction's operation", a.ID)
	}
	r, err := decodeOp(t.opArgs)
	if err != nil || r.Reduce == nil {
		return attempt.Outcome{}, fmt.Errorf("atobarai: transaction %s: no reduction request to check (%v)", t.ID, err)
	}
	ans, err := cl.ReduceAmount(ctx, *r.Reduce)
	if ae, ok := errors.AsType[*yamato.APIError](err); ok && ae.Code == "kaakk049E" {
		return attempt.Outcome{State: attempt.Succeeded, Code: ae.Code, Response: "already applied (kaakk049E)"}, nil
	}
	if yamato.IsNotFound(err) {
		return s.notThere(a), nil
	}
	o := reduceOutcome(ans, err)
	if o.State == attempt.Unknown {
		return attempt.Outcome{}, fmt.Errorf("atobarai: check reduction of %s: %s", t.OrderNo, o.Message)
	}
	return o, nil
}
