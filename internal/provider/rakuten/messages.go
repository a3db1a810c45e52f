package rakuten

import (
	"strings"
)

// MessageType is MessageModel.messageType.
type MessageType string

const (
	MessageInfo    MessageType = "INFO"
	MessageWarning MessageType = "WARNING"
	MessageError   MessageType = "ERROR"
)

// Message is one MessageModelList item, kept whole: the messageCode is what support and logs need.
type Message struct {
	Type MessageType `json:"messageType"`
	Code string      `json:"messageCode"`
	Text string      `json:"message"`
	// OrderNumber is set in answers about several orders (getOrder, confirmOrder, cancelOrder).
	OrderNumber string `json:"orderNumber,omitempty"`
	// DataNumber (1-based) and ShippingDetailID come with updateOrderShipping; the id may be
	// null for an added row.
	DataNumber       *int   `json:"dataNumber,omitempty"`
	ShippingDetailID *int64 `json:"shippingDetailId,omitempty"`
}

// Message code suffixes whose meaning is the same in every method
// (ORDER_EXT_API_<METHOD>_ERROR_009 …).
const (
	suffixMissing   = "_ERROR_009"
	suffixEmpty     = "_ERROR_010"
	suffixBadFormat = "_ERROR_011"
)

// Problem classifies an ERROR message about a request field.
type Problem string

const (
	ProblemNone      Problem = ""
	ProblemMissing   Problem = "missing"    // …_ERROR_009: the item is not in the request
	ProblemEmpty     Problem = "empty"      // …_ERROR_010: the item has no value
	ProblemBadFormat Problem = "bad_format" // …_ERROR_011: the value's format is invalid
	ProblemOther     Problem = "other"
)

// Problem says what kind of field error m is (ProblemNone for INFO and WARNING).
func (m Message) Problem() Problem {
	if m.Type != MessageError {
		return ProblemNone
	}
	switch {
	case strings.HasSuffix(m.Code, suffixMissing):
		return ProblemMissing
	case strings.HasSuffix(m.Code, suffixEmpty):
		return ProblemEmpty
	case strings.HasSuffix(m.Code, suffixBadFormat):
		return ProblemBadFormat
	}
	return ProblemOther
}

// Field is the request item a field error names: Rakuten's text starts with it
// ("dateTypeの項目を指定して下さい。", "startDatetimeの書式が不正です。"). Empty when the text
// names none.
func (m Message) Field() string {
	if m.Problem() == ProblemNone || m.Problem() == ProblemOther {
		return ""
	}
	i := strings.Index(m.Text, "の")
	if i <= 0 {
		return ""
	}
	f := m.Text[:i]
	for _, r := range f {
		if !(r == '_' || r == '.' || r == '[' || r == ']' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return ""
		}
	}
	return f
}

// IsError reports whether m is an ERROR.
func (m Message) IsError() bool { return m.Type == MessageError }

func (m Message) String() string {
	s := string(m.Type) + " " + m.Code + " " + m.Text
	if m.OrderNumber != "" {
		s += " (" + m.OrderNumber + ")"
	}
	return s
}

// Messages is a MessageModelList.
type Messages []Message

// Errors returns the ERROR items.
func (ms Messages) Errors() Messages {
	var out Messages
	for _, m := range ms {
		if m.IsError() {
			out = append(out, m)
		}
	}
	return out
}

// HasErrors reports whether any item is an ERROR.
func (ms Messages) HasErrors() bool { return len(ms.Errors()) > 0 }

// Has reports whether an item has code.
func (ms Messages) Has(code string) bool {
	for _, m := range ms {
		if m.Code == code {
			return true
		}
	}
	return false
}

// ForOrder returns the items about orderNumber.
func (ms Messages) ForOrder(orderNumber string) Messages {
	var out Messages
	for _, m := range ms {
		if m.OrderNumber == orderNumber {
			out = append(out, m)
		}
	}
	return out
}

// Message codes the client acts on. The rest are kept verbatim in Messages.
const (
	CodeSearchOK          = "ORDER_EXT_API_SEARCH_ORDER_INFO_101"
	CodeSearchNone        = "ORDER_EXT_API_SEARCH_ORDER_INFO_102"
	CodeGetOrderOK        = "ORDER_EXT_API_GET_ORDER_INFO_101"
	CodeGetOrderNotFound  = "ORDER_EXT_API_GET_ORDER_INFO_102" // an INFO: the order is unknown
	CodeConfirmOK         = "ORDER_EXT_API_CONFIRM_ORDER_INFO_101"
	CodeConfirmCancelled  = "ORDER_EXT_API_CONFIRM_ORDER_ERROR_102"
	CodeConfirmMovedOn    = "ORDER_EXT_API_CONFIRM_ORDER_ERROR_103"
	CodeCancelOK          = "ORDER_EXT_API_CANCEL_ORDER_INFO_101" // キャンセル申請に成功しました。
	CodeShippingAdded     = "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_101"
	CodeShippingUpdated   = "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_102"
	CodeShippingDeleted   = "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_103"
	CodeGetPaymentOK      = "ORDER_EXT_API_GET_PAYMENT_INFO_101"
	CodeGetPaymentUnknown = "ORDER_EXT_API_GET_PAYMENT_INFO_102"
)
