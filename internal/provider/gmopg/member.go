package gmopg

import (
	"context"
	"strconv"
)

// Member is a 会員 at GMO-PG: the holder of stored cards, keyed by the merchant's MemberID.
type Member struct {
	ID      string
	Name    string
	Deleted bool
}

// SaveMember registers a member (SaveMember.idPass). A MemberID already taken is E01390010.
func (c *Client) SaveMember(ctx context.Context, id, name string) error {
	_, err := c.call(ctx, "SaveMember", c.site(Values{{"MemberID", id}, {"MemberName", name}}), writes)
	return err
}

// SearchMember reads a member; an unknown one is E01390002 (see HasInfo).
func (c *Client) SearchMember(ctx context.Context, id string) (Member, error) {
	v, err := c.call(ctx, "SearchMember", c.site(Values{{"MemberID", id}}), readOnly)
	if err == nil {
		err = require("SearchMember", v, readOnly, "MemberID")
	}
	if err != nil {
		return Member{}, err
	}
	return Member{ID: v.Get("MemberID"), Name: v.Get("MemberName"), Deleted: v.Get("DeleteFlag") == "1"}, nil
}

// DeleteMember deletes a member with its cards.
func (c *Client) DeleteMember(ctx context.Context, id string) error {
	_, err := c.call(ctx, "DeleteMember", c.site(Values{{"MemberID", id}}), writes)
	return err
}

// SaveCardInput stores a card for a member. Give Token (from GMO-PG's token script, or the
// simulator's card form) or, in the sandbox and for PCI-certified merchants, CardNo and Expire.
type SaveCardInput struct {
	MemberID string
	// CardSeq, when UpdateSeq is set, replaces that card instead of adding one (the way a
	// customer changes the card a subscription uses).
	CardSeq   int
	UpdateSeq bool
	// Default is the 洗替・継続課金フラグ (DefaultFlag=1): the card monthly card update and
	// continuous billing work on. GMO-PG's default is 0, "not a target".
	Default    bool
	CardName   string
	Token      string
	CardNo     string
	Expire     string // YYMM
	HolderName string
}

// SavedCard is SaveCard's answer. Brand and the other detail keys appear only in newer answers.
type SavedCard struct {
	CardSeq  int
	MaskedNo string
	Forward  string
	Brand    string
}

// SaveCard stores a card (SaveCard.idPass).
func (c *Client) SaveCard(ctx context.Context, in SaveCardInput) (SavedCard, error) {
	v := Values{{"MemberID", in.MemberID}}
	if in.UpdateSeq {
		v.Add("SeqMode", "0")
		v.Add("CardSeq", strconv.Itoa(in.CardSeq))
	}
	flag := "0"
	if in.Default {
		flag = "1"
	}
	v.Add("DefaultFlag", flag)
	if in.CardName != "" {
		v.Add("CardName", in.CardName)
	}
	if in.Token != "" {
		v.Add("Token", in.Token)
	} else {
		v.Add("CardNo", in.CardNo)
		v.Add("Expire", in.Expire)
	}
	if in.HolderName != "" {
		v.Add("HolderName", in.HolderName)
	}
	a, err := c.call(ctx, "SaveCard", c.site(v), writes)
	if err == nil {
		err = require("SaveCard", a, writes, "CardSeq")
	}
	if err != nil {
		return SavedCard{}, err
	}
	seq, _ := strconv.Atoi(a.Get("CardSeq"))
	return SavedCard{CardSeq: seq, MaskedNo: a.Get("CardNo"), Forward: a.Get("Forward"), Brand: a.Get("Brand")}, nil
}

// Card is one stored card as SearchCard reports it. The number is masked by GMO-PG; how many
// digits stay visible differs between APIs, so do not rely on a fixed mask.
type Card struct {
	Seq        int
	Default    bool // DefaultFlag=1: a card update and continuous billing target
	Name       string
	MaskedNo   string
	Expire     string // YYMM
	HolderName string
	Deleted    bool
	Brand      string
}

// AllCards asks SearchCard for every card of the member.
const AllCards = -1

// SearchCard lists a member's cards (seq = AllCards) or reads one. Several cards come back as
// "|"-separated lists, parallel across the fields. No card is E01240002.
func (c *Client) SearchCard(ctx context.Context, memberID string, seq int) ([]Card, error) {
	v := Values{{"MemberID", memberID}, {"SeqMode", "0"}}
	if seq >= 0 {
		v.Add("CardSeq", strconv.Itoa(seq))
	}
	a, err := c.call(ctx, "SearchCard", c.site(v), readOnly)
	if err == nil {
		err = require("SearchCard", a, readOnly, "CardSeq")
	}
	if err != nil {
		return nil, err
	}
	seqs := splitCards(a.Get("CardSeq"), 0)
	n := len(seqs)
	def, name, no := splitCards(a.Get("DefaultFlag"), n), splitCards(a.Get("CardName"), n), splitCards(a.Get("CardNo"), n)
	exp, holder, del := splitCards(a.Get("Expire"), n), splitCards(a.Get("HolderName"), n), splitCards(a.Get("DeleteFlag"), n)
	brand := splitCards(a.Get("Brand"), n)
	cards := make([]Card, n)
	for i := range n {
		s, _ := strconv.Atoi(seqs[i])
		cards[i] = Card{Seq: s, Default: def[i] == "1", Name: name[i], MaskedNo: no[i], Expire: exp[i],
			HolderName: holder[i], Deleted: del[i] == "1", Brand: brand[i]}
	}
	return cards, nil
}

// DeleteCard deletes one stored card.
func (c *Client) DeleteCard(ctx context.Context, memberID string, seq int) error {
	_, err := c.call(ctx, "DeleteCard", c.site(Values{{"MemberID", memberID}, {"SeqMode", "0"}, {"CardSeq", strconv.Itoa(seq)}}), writes)
	return err
}
